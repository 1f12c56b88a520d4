import type { PaysyncProcess } from '../test/support/paysync-process';
import { waitUntil } from '../test/support/wait';

function exitOf(service: PaysyncProcess): number | string | null {
  return service.child.exitCode ?? service.child.signalCode;
}

/** Throws, with its last output, when one of the named services has exited: what waits on it would wait forever. */
export function failIfExited(services: Record<string, PaysyncProcess>): void {
  for (const [name, service] of Object.entries(services)) {
    if (exitOf(service) !== null) throw new Error(`${name} exited (${exitOf(service)}):\n${service.output().slice(-3000)}`);
  }
}

/**
 * Waits for the service's JSON log line `msg` and returns the URL of its HTTP server (the line's
 * `http` field). Fails at once, with the service's output, if it exits first.
 */
export async function serviceHttpUrl(service: PaysyncProcess, msg: string, timeoutMs = 60_000): Promise<string> {
  let url: string | undefined;
  await waitUntil(
    () => `"${msg}" from paysync; output:\n${service.output().slice(-3000)}`,
    () => {
      if (exitOf(service) !== null) throw new Error(`paysync exited (${exitOf(service)}) before "${msg}":\n${service.output().slice(-3000)}`);
      url = service.logs().find((l) => l.msg === msg)?.http as string | undefined;
      return url !== undefined;
    },
    timeoutMs,
    50,
  );
  return url as string;
}

/** SIGTERM (a clean stop), then SIGKILL if it is still there after `graceMs`; resolves with its exit code or signal. */
export async function stopService(service: PaysyncProcess, graceMs = 15_000): Promise<number | string> {
  if (exitOf(service) !== null) return service.exited;
  service.kill('SIGTERM');
  const timer = setTimeout(() => service.kill('SIGKILL'), graceMs);
  try {
    return await service.exited;
  } finally {
    clearTimeout(timer);
  }
}
