/**
 * What every long-running paysync command owes an operator while an outside system does not
 * answer: one line per retry period naming its address and setting, /readyz not ready, and a
 * SIGTERM that ends it within PAYSYNC_DRAIN_TIMEOUT_MS.
 */
import { freePort } from './free-port';
import { httpAddressOf } from './metrics-scrape';
import type { PaysyncProcess } from './paysync-process';
import { waitUntil } from './wait';

/** The drain limit the tests give the processes: short, so a stop that hangs fails fast. */
export const DRAIN_TIMEOUT_MS = 10_000;

/** host:port of a loopback port nothing listens on: a dependency that is down. */
export async function closedAddress(): Promise<string> {
  return `127.0.0.1:${await freePort()}`;
}

export const running = (p: PaysyncProcess): boolean => p.child.exitCode === null && p.child.signalCode === null;

/** Fails, with what it said, when the process has exited. */
export function expectRunning(p: PaysyncProcess): void {
  if (!running(p)) throw new Error(`it exited (${p.child.exitCode ?? p.child.signalCode}); its output:\n${p.output().split('\n').filter((l) => !l.includes('"level":"debug"')).join('\n').slice(-4000)}`);
}

/** The process's lines saying `setting`'s system does not answer (as libs/observability Outages writes them). */
export function unreachableLines(p: PaysyncProcess, setting: string): Record<string, unknown>[] {
  return p.logs().filter((l) => l.setting === setting && / unreachable at \S+ \(PAYSYNC_[A-Z_]+\): .+; retrying/.test(String(l.msg)));
}

/** Waits for `count` such lines (the first at once, the next one retry period later). */
export async function waitUnreachableLines(p: PaysyncProcess, setting: string, count: number, timeoutMs = 60_000): Promise<Record<string, unknown>[]> {
  await waitUntil(
    () => `${count} lines saying ${setting} is unreachable; exit ${p.child.exitCode ?? p.child.signalCode ?? 'none yet'}; output:\n${p.output().slice(-3000)}`,
    () => unreachableLines(p, setting).length >= count || !running(p),
    timeoutMs,
    100,
  );
  expectRunning(p);
  return unreachableLines(p, setting);
}

/** kafkajs's words for a broker it cannot reach, and for each of its retries. */
const KAFKAJS_RETRY = /Connection error|Connection timeout|ECONNREFUSED|Failed to connect|^Response \w+\(|Restarting the consumer|^Crash: /;

/** kafkajs's raw retry lines at warn or error level: an operator must see paysync's one line per period instead. */
export function kafkajsRetryLines(p: PaysyncProcess): string[] {
  return p
    .logs()
    .filter((l) => String(l.component ?? '').startsWith('kafkajs') && (l.level === 'warn' || l.level === 'error') && KAFKAJS_RETRY.test(String(l.msg)))
    .map((l) => `${String(l.msg)}: ${String(l.error ?? '')}`);
}

/** Consecutive lines are at least a retry period apart (Outages: 5 s at most once; 0.5 s of slack for timers). */
export function expectOneLinePerRetryPeriod(lines: Record<string, unknown>[]): void {
  const times = lines.map((l) => Date.parse(String(l.time)));
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  expect(gaps.filter((gap) => gap < 4500)).toEqual([]);
}

/** GET /readyz of the process that logged `listening` with its address: status and body. */
export async function readyz(p: PaysyncProcess, listening: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${httpAddressOf(p, listening)}/readyz`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Waits until the process has logged `listening` (its health server's address). */
export async function waitListening(p: PaysyncProcess, listening: string): Promise<void> {
  await waitUntil(() => `"${listening}"; output:\n${p.output().slice(-3000)}`, () => p.logs().some((l) => l.msg === listening) || !running(p), 60_000, 50);
  expectRunning(p);
}

/**
 * SIGTERMs the process and waits (generously) for it to exit; resolves with its exit code and how
 * long it took. A stop that needed the drain limit's last-resort exit exits 1, and says so.
 */
export async function stopBySigterm(p: PaysyncProcess): Promise<{ code: number | string; ms: number; output: string }> {
  const sentAt = Date.now();
  p.kill('SIGTERM');
  await waitUntil(() => `the process to exit after SIGTERM; output:\n${p.output().slice(-3000)}`, () => !running(p), DRAIN_TIMEOUT_MS + 60_000, 50);
  return { code: await p.exited, ms: Date.now() - sentAt, output: p.output().slice(-3000) };
}

/** The exit of a stop that ended cleanly and in time: code 0 within the drain limit, "stopped cleanly" said. */
export function expectCleanStop(stop: { code: number | string; ms: number; output: string }): void {
  const said = stop.output.split('\n').filter((l) => l.startsWith('{') && !l.includes('"level":"debug"') && /stop|exiting|still/.test(l));
  expect({ code: stop.code, inTime: stop.ms < DRAIN_TIMEOUT_MS, said }).toEqual({ code: 0, inTime: true, said: expect.arrayContaining([expect.stringContaining('"stopped cleanly"')]) });
}
