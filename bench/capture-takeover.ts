/**
 * Capture takeover benchmark: how long a standby replica takes to stream after the streaming one
 * is SIGKILLed, under a steady write load (docs/high-availability.md).
 *
 *   npm run stack:up && npm run build && npm run bench:takeover -- [kills] [transactionsPerSecond]
 *
 * Two replicas of one slot; `kills` times the streaming one is SIGKILLed and a new standby started
 * in its place. Each takeover is timed from the SIGKILL to the other replica's first 200 from
 * /readyz (polled every 20 ms), and to its "capture streaming" log line. Prints each takeover,
 * then the median, min and max.
 */
import { CaptureFixture } from '../test/support/capture-fixture';
import { httpAddressOf } from '../test/support/metrics-scrape';
import type { PaysyncProcess } from '../test/support/paysync-process';
import { stackAddresses } from '../test/support/stack-addresses';
import { deleteRegistrySubjectsStartingWith } from '../demo/stack-cleanup';
import { atCleanup, log, runBenchmark } from './bench-run';
import { codeVersion, loadAverage, machine, postgresVersion } from './machine';

function countArg(index: number, fallback: number): number {
  const value = process.argv[index] === undefined ? fallback : Number(process.argv[index]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`argument ${index - 1} must be a positive integer, got ${process.argv[index]}`);
  return value;
}

const kills = countArg(2, 10);
const txPerSecond = countArg(3, 200);
const TABLE = 'public.takeover';
const HEALTH = 'capture health server listening';

async function ready(address: string): Promise<boolean> {
  try {
    return (await fetch(`${address}/readyz`, { signal: AbortSignal.timeout(1000) })).status === 200;
  } catch {
    return false;
  }
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The time of the replica's first "capture streaming" line at or after `sinceMs`. */
function streamingLoggedAt(replica: PaysyncProcess, sinceMs: number): number | undefined {
  return replica
    .logs()
    .filter((l) => l.msg === 'capture streaming')
    .map((l) => Date.parse(String(l.time)))
    .find((t) => t >= sinceMs);
}

/** A steady load of one-row transactions; a failed insert ends the benchmark when it stops. */
function startWriting(fixture: CaptureFixture): { stop: () => Promise<number> } {
  let running = true;
  let written = 0;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      await fixture.db.pool.query(`INSERT INTO ${TABLE} (amount) VALUES (round((random() * 1000)::numeric, 2))`);
      written += 1;
      const wait = 1000 / txPerSecond - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  // Kept for stop(): an unhandled rejection here would end the process without its clean-up.
  loop.catch(() => (running = false));
  return {
    stop: async () => {
      running = false;
      await loop;
      return written;
    },
  };
}

runBenchmark(async () => {
  const fixture = await CaptureFixture.create([`CREATE TABLE ${TABLE} (id bigserial PRIMARY KEY, amount numeric(12,2) NOT NULL)`]);
  atCleanup(async () => {
    await fixture.cleanup();
    await deleteRegistrySubjectsStartingWith(stackAddresses().PAYSYNC_TEST_REGISTRY_URL, `${fixture.prefix}.`);
  });
  const start = (): PaysyncProcess => fixture.startCapture([TABLE]);
  const address = (replica: PaysyncProcess) => until(`${HEALTH} logged`, async () => (replica.logs().some((l) => l.msg === HEALTH) ? httpAddressOf(replica, HEALTH) : undefined), 60_000);
  let streaming = start();
  await until('the first replica to stream', async () => ((await ready(await address(streaming))) ? true : undefined), 120_000, 100);
  let standby = start();
  await until('the second replica to be a standby', async () => (standby.logs().some((l) => l.msg === 'capture standby: another replica streams the slot') ? true : undefined), 60_000, 100);
  const writer = startWriting(fixture);
  const takeovers: { ready: number; logged: number }[] = [];
  for (let kill = 1; kill <= kills; kill++) {
    // A little streaming between kills, so each takeover starts from a busy stream.
    await new Promise((r) => setTimeout(r, 2000));
    const standbyAddress = await address(standby);
    const killedAt = Date.now();
    streaming.kill('SIGKILL');
    const readyAt = await until('the standby to be ready', async () => ((await ready(standbyAddress)) ? Date.now() : undefined), 60_000);
    const loggedAt = await until('the standby to log "capture streaming"', async () => streamingLoggedAt(standby, killedAt), 10_000);
    takeovers.push({ ready: readyAt - killedAt, logged: loggedAt - killedAt });
    log(`takeover ${kill}: ready after ${readyAt - killedAt} ms, "capture streaming" logged after ${loggedAt - killedAt} ms`);
    await streaming.exited;
    streaming = standby;
    standby = start();
    await until('the new standby to be a standby', async () => (standby.logs().some((l) => l.msg === 'capture standby: another replica streams the slot') ? true : undefined), 60_000, 100);
  }
  const written = await writer.stop();
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  const median = (values: number[]) => sorted(values)[Math.floor(values.length / 2)];
  const summary = (name: 'ready' | 'logged') => {
    const values = takeovers.map((t) => t[name]);
    return `median ${median(values)} ms, min ${sorted(values)[0]} ms, max ${sorted(values)[values.length - 1]} ms`;
  };
  process.stdout.write(
    [
      `capture takeover after SIGKILL, ${kills} kills, ${txPerSecond} tx/s offered (${written} written)`,
      `  to the standby's /readyz 200:        ${summary('ready')}`,
      `  to its "capture streaming" log line: ${summary('logged')}`,
      `  each (ready ms): ${takeovers.map((t) => t.ready).join(', ')}`,
      `machine: ${machine([await postgresVersion(fixture.db.url)])}; code ${codeVersion()}; load average ${loadAverage()}`,
      '',
    ].join('\n'),
  );
});
