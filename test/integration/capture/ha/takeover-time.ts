import type { PaysyncProcess } from '../../../support/paysync-process';
import { waitUntil } from '../../../support/wait';
import { healthAddress, LOG, logged, loggedAt, readyStatus } from './replica-health';

/** How long a standby took to stream after `sinceMs`: by its "capture streaming" log line and by its first /readyz 200. */
export interface Takeover {
  ms: number;
  byLogMs: number;
  byReadyMs: number;
}

/** Waits (generously) for the replica to take over, polling /readyz every 20 ms, and times it both ways. */
export async function timeTakeover(replica: PaysyncProcess, sinceMs: number, timeoutMs = 60_000): Promise<Takeover> {
  const address = await healthAddress(replica);
  let readyAt: number | undefined;
  await waitUntil(
    () => `the standby to take over (streaming logged: ${logged(replica, LOG.streaming, sinceMs).length > 0}, ready: ${readyAt !== undefined}); output:\n${replica.output().slice(-3000)}`,
    async () => {
      if (readyAt === undefined && (await readyStatus(address, 1000)) === 200) readyAt = Date.now();
      return readyAt !== undefined && logged(replica, LOG.streaming, sinceMs).length > 0;
    },
    timeoutMs,
    20,
  );
  const byLogMs = loggedAt(logged(replica, LOG.streaming, sinceMs)[0]) - sinceMs;
  const byReadyMs = (readyAt as number) - sinceMs;
  return { ms: Math.min(byLogMs, byReadyMs), byLogMs, byReadyMs };
}
