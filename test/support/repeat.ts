import { sleep } from './wait';

/** A background loop started by repeat(); stop() ends it after the round under way (and rejects if a round threw). */
export interface Repeating {
  stop(): Promise<void>;
}

/** Runs `round` again and again, each beginning at least `everyMs` after the one before began, until stopped. */
export function repeat(round: () => Promise<void>, everyMs: number): Repeating {
  let active = true;
  const loop = (async () => {
    while (active) {
      const began = Date.now();
      await round();
      await sleep(Math.max(0, everyMs - (Date.now() - began)));
    }
  })();
  // Seen by stop(); until then a failed round must not be an unhandled rejection.
  loop.catch(() => undefined);
  return {
    stop: async () => {
      active = false;
      await loop;
    },
  };
}
