import { httpAddressOf, sampleValue, scrapeMetrics } from '../../../support/metrics-scrape';
import type { PaysyncProcess } from '../../../support/paysync-process';
import { waitUntil } from '../../../support/wait';

/** What a capture replica logs of its part (the contract of capture's replicas). */
export const LOG = {
  listening: 'capture health server listening',
  standby: 'capture standby: another replica streams the slot',
  streaming: 'capture streaming',
  steppedDown: 'capture stepped down: another replica took over',
  recovering: 'capture recovering in place',
} as const;

export const running = (p: PaysyncProcess): boolean => p.child.exitCode === null && p.child.signalCode === null;

/** When a log line was written, in epoch ms (the logger writes `time` as ISO text). */
export const loggedAt = (line: Record<string, unknown>): number => (typeof line.time === 'number' ? line.time : Date.parse(String(line.time)));

/** The replica's log lines with this message written at or after `sinceMs` (epoch ms). */
export function logged(replica: PaysyncProcess, msg: string, sinceMs = 0): Record<string, unknown>[] {
  return replica.logs().filter((l) => l.msg === msg && loggedAt(l) >= sinceMs);
}

/** What the replica said since `sinceMs` (its own lines, not its Kafka client's): "+ms message: error" each, for failure messages. */
export function replicaStory(replica: PaysyncProcess, sinceMs: number): string {
  return replica
    .logs()
    .filter((l) => loggedAt(l) >= sinceMs && l.level !== 'debug' && !String(l.component ?? '').startsWith('kafka'))
    .map((l) => `  +${loggedAt(l) - sinceMs} ${String(l.msg)}${(l.err as { message?: string } | undefined)?.message ? `: ${(l.err as { message: string }).message}` : ''}`)
    .join('\n');
}

/** Its health server's address, once it has logged it (at start, on every replica). */
export async function healthAddress(replica: PaysyncProcess): Promise<string> {
  await waitUntil(
    () => `the replica to start its health server; output:\n${replica.output().slice(-2000)}`,
    () => logged(replica, LOG.listening).length > 0 || !running(replica),
    60_000,
    50,
  );
  return httpAddressOf(replica, LOG.listening);
}

/** GET /readyz's status; undefined when it does not answer (dead, paused, not started). */
export async function readyStatus(address: string, timeoutMs = 2000): Promise<number | undefined> {
  try {
    const response = await fetch(`${address}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return undefined;
  }
}

/** One scrape's paysync_capture_streaming and the sum of paysync_capture_events_total (undefined: no answer). */
export async function streamingState(address: string, timeoutMs = 2000): Promise<{ streaming: number; events: number } | undefined> {
  try {
    const samples = await scrapeMetrics(address, timeoutMs);
    const events = samples.filter((l) => l.startsWith('paysync_capture_events_total{')).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    return { streaming: sampleValue(samples, 'paysync_capture_streaming') ?? Number.NaN, events };
  } catch {
    return undefined;
  }
}

/**
 * Waits until the replica reports `role`: a standby has gauge 0 and /readyz 503, the streaming
 * replica gauge 1 and /readyz 200; `andLogged`, if given, must also have been logged since `sinceMs`.
 */
export async function waitRole(replica: PaysyncProcess, role: 'standby' | 'streaming', andLogged?: { msg: string; sinceMs: number }, timeoutMs = 60_000): Promise<void> {
  const address = await healthAddress(replica);
  const [gauge, status] = role === 'streaming' ? [1, 200] : [0, 503];
  let last = '';
  await waitUntil(
    () => `the replica to be ${role} (last: ${last}); output:\n${replica.output().slice(-3000)}`,
    async () => {
      const [state, ready] = [await streamingState(address), await readyStatus(address)];
      const seen = andLogged ? logged(replica, andLogged.msg, andLogged.sinceMs).length > 0 : true;
      last = `gauge ${state?.streaming}, /readyz ${ready}${andLogged ? `, "${andLogged.msg}" logged: ${seen}` : ''}`;
      return state?.streaming === gauge && ready === status && seen;
    },
    timeoutMs,
    100,
  );
}

/** Waits until the replica has sent `more` change events beyond what it had sent when called. */
export async function waitEventsSent(replica: PaysyncProcess, more: number, timeoutMs = 60_000): Promise<void> {
  const address = await healthAddress(replica);
  const from = (await streamingState(address))?.events ?? 0;
  await waitUntil(
    () => `the replica to send ${more} more events; output:\n${replica.output().slice(-3000)}`,
    async () => ((await streamingState(address))?.events ?? 0) >= from + more,
    timeoutMs,
    200,
  );
}
