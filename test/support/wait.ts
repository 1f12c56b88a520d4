/**
 * Polls `check` until it returns true; fails with `what` after `timeoutMs`. A check that throws
 * counts as "not yet" (a topic whose leader is still being elected, a table not created yet); the
 * last error is part of the timeout message.
 */
export async function waitUntil(
  what: string | (() => string),
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    // `what` may describe state (a process's output): evaluated only now, at the timeout.
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? '' : ` (last check failed: ${(lastError as Error).message})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${typeof what === 'function' ? what() : what}${cause}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
