/**
 * What PAYSYNC_SKIP_ORIGINS_AT_SOURCE saves in bidirectional sync: the cost of the writes apply
 * makes into a database (tagged with a paysync origin) to that database's capture, when capture
 * drops them itself (PAYSYNC_SKIP_APPLIED_CHANGES) and when the source leaves them out (pgoutput's
 * origin = 'none', PostgreSQL 16: a private cluster from scripts/stack/postgres16.sh).
 *
 *   npm run stack:up && npm run build && npm run bench:origins -- [rows] [rowsPerTransaction] [rounds]
 *
 * Each round, for each way: a fresh database and slot, capture streaming, `rows` rows written under
 * a paysync apply origin in transactions of `rowsPerTransaction`, then one untagged row; measured
 * until the slot confirmed it: capture's CPU and the walsender's (the source's decoding), per row.
 */
import { applyOriginName } from '@paysync/contract';
import { CaptureFixture } from '../test/support/capture-fixture';
import { uniqueName } from '../test/support/fixtures';
import { postgres16Bin, startPrivatePostgres } from '../test/support/private-postgres';
import { waitUntil } from '../test/support/wait';
import { atCleanup, log, runBenchmark } from './bench-run';
import { codeVersion, loadAverage, machine, postgresVersion } from './machine';
import { processUsage } from './process-usage';

const arg = (index: number, fallback: number): number => {
  const value = process.argv[index] === undefined ? fallback : Number(process.argv[index]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`argument ${index - 1} must be a positive integer`);
  return value;
};
const rows = arg(2, 200_000);
const perTx = arg(3, 1000);
const rounds = arg(4, 3);

const TABLE = 'public.bench';
const DDL = [`CREATE TABLE ${TABLE} (id bigint PRIMARY KEY, amount numeric(20,4) NOT NULL, memo text NOT NULL)`, `ALTER TABLE ${TABLE} REPLICA IDENTITY FULL`];
const WAYS = {
  'capture drops them': { PAYSYNC_SKIP_APPLIED_CHANGES: 'true' },
  'the source leaves them out': { PAYSYNC_SKIP_APPLIED_CHANGES: 'true', PAYSYNC_SKIP_ORIGINS_AT_SOURCE: 'true' },
} as const;
type Way = keyof typeof WAYS;

interface Measured {
  captureCpuS: number;
  walsenderCpuS: number;
  seconds: number;
}

async function measure(adminUrl: string, way: Way): Promise<Measured> {
  const fixture = await CaptureFixture.create(DDL, adminUrl);
  const origin = applyOriginName(uniqueName('bench'), 0);
  try {
    await fixture.db.pool.query('SELECT pg_replication_origin_create($1)', [origin]);
    const capture = await fixture.startCaptureStreaming([TABLE], WAYS[way]);
    await waitUntil('the snapshot of the empty table', () => capture.logs().some((l) => l.msg === 'snapshot of table done'), 60_000, 50);
    const { rows: slot } = await fixture.db.pool.query<{ pid: string }>('SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1', [fixture.slot]);
    const walsender = Number(slot[0].pid);
    const before = { capture: processUsage(capture.child.pid)?.cpuSeconds ?? NaN, walsender: processUsage(walsender)?.cpuSeconds ?? NaN };
    const started = Date.now();
    const client = await fixture.db.pool.connect();
    try {
      await client.query('SELECT pg_replication_origin_session_setup($1)', [origin]);
      for (let from = 1; from <= rows; from += perTx) {
        const to = Math.min(rows, from + perTx - 1);
        await client.query(`INSERT INTO ${TABLE} SELECT g, g / 7.0, 'applied ' || g FROM generate_series(${from}, ${to}) g`);
      }
      await client.query('SELECT pg_replication_origin_session_reset()');
    } finally {
      client.release();
    }
    await fixture.db.pool.query(`INSERT INTO ${TABLE} VALUES (0, 0, 'end')`);
    await fixture.waitCaughtUp(capture, 600_000);
    const after = { capture: processUsage(capture.child.pid)?.cpuSeconds ?? NaN, walsender: processUsage(walsender)?.cpuSeconds ?? NaN };
    capture.kill('SIGTERM');
    await capture.exited;
    return { captureCpuS: after.capture - before.capture, walsenderCpuS: after.walsender - before.walsender, seconds: (Date.now() - started) / 1000 };
  } finally {
    await fixture.db.pool.query('SELECT pg_replication_origin_drop($1)', [origin]).catch(() => undefined);
    await fixture.cleanup();
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const range = (values: number[], digits: number): string => `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;

runBenchmark(async () => {
  const cluster = await startPrivatePostgres(postgres16Bin());
  atCleanup(() => cluster.stop());
  const results: Record<Way, Measured[]> = { 'capture drops them': [], 'the source leaves them out': [] };
  for (let round = 1; round <= rounds; round++) {
    for (const way of Object.keys(WAYS) as Way[]) {
      log(`round ${round}: ${rows} rows under a paysync origin, ${way}`);
      results[way].push(await measure(cluster.url('postgres'), way));
    }
  }
  console.log(`npm run bench:origins -- ${rows} ${perTx} ${rounds}; ${machine([await postgresVersion(cluster.url('postgres'))])}; code ${codeVersion()}; load average ${loadAverage()}`);
  console.log('| how apply\'s writes are skipped | capture CPU µs per row | walsender CPU µs per row | capture + walsender µs per row | seconds to confirm |');
  console.log('|---|---|---|---|---|');
  for (const way of Object.keys(WAYS) as Way[]) {
    const perRow = (pick: (m: Measured) => number) => results[way].map((m) => (pick(m) / rows) * 1e6);
    const cells = [perRow((m) => m.captureCpuS), perRow((m) => m.walsenderCpuS), perRow((m) => m.captureCpuS + m.walsenderCpuS)].map((v) => `${median(v).toFixed(2)} (${range(v, 2)})`);
    const seconds = results[way].map((m) => m.seconds);
    console.log(`| ${way} | ${cells.join(' | ')} | ${median(seconds).toFixed(1)} (${range(seconds, 1)}) |`);
  }
});
