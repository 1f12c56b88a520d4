import type { PaysyncProcess } from './paysync-process';

/** The HTTP address a service logged when it started (its health server picks a free port in tests). */
export function httpAddressOf(service: PaysyncProcess, startedMessage: string): string {
  const started = service.logs().find((l) => l.msg === startedMessage && typeof l.http === 'string');
  if (!started) throw new Error(`no "${startedMessage}" log line with an http address yet`);
  return String(started.http);
}

/**
 * One scrape of /metrics: every sample line, by metric name with its labels. Fails after
 * `timeoutMs`: a paused (SIGSTOP) process accepts the connection and never answers.
 */
export async function scrapeMetrics(address: string, timeoutMs = 10_000): Promise<string[]> {
  const text = await (await fetch(`${address}/metrics`, { signal: AbortSignal.timeout(timeoutMs) })).text();
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

/** The value of the first sample of `name` carrying all `labels`, or undefined. */
export function sampleValue(samples: string[], name: string, labels: Record<string, string> = {}): number | undefined {
  const line = samples.find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}
