/**
 * Capture throughput: rows/s from WAL to Kafka-acknowledged, beside the raw decoding rate of
 * pg_recvlogical (pgoutput, to /dev/null) over the same WAL on the same machine (DESIGN.md §8).
 *
 *   npm run stack:up && npm run build && npm run bench:capture -- [rows] [rowsPerTransaction]
 *
 * Both readers start from a slot created before the load, so they decode exactly the same WAL.
 */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { CaptureFixture } from '../test/support/capture-fixture';

const rows = Number(process.argv[2] ?? 500_000);
const perTx = Number(process.argv[3] ?? 1000);

async function main(): Promise<void> {
  const fixture = await CaptureFixture.create([`CREATE TABLE public.bench (id bigint PRIMARY KEY, amount numeric(20,4) NOT NULL, memo text NOT NULL, at timestamptz NOT NULL)`]);
  try {
    const table = 'public.bench';
    // 1. capture sets up its slot and snapshots the empty table, then stops cleanly.
    let capture = fixture.startCapture([table], { PAYSYNC_LOG_LEVEL: 'warn' });
    await fixture.waitCaughtUp(capture);
    capture.kill('SIGTERM');
    await capture.exited;
    // 2. a raw slot for pg_recvlogical at the same point.
    await fixture.db.pool.query(`SELECT pg_create_logical_replication_slot('bench_raw', 'pgoutput')`);
    // 3. the load, in transactions of `perTx` rows.
    for (let start = 1; start <= rows; start += perTx) {
      const end = Math.min(rows, start + perTx - 1);
      await fixture.db.pool.query(`INSERT INTO ${table} SELECT g, g / 7.0, 'payment ' || g, now() FROM generate_series(${start}, ${end}) g`);
    }
    const { rows: endRows } = await fixture.db.pool.query<{ lsn: string }>('SELECT pg_current_wal_lsn() AS lsn');
    const endLsn = endRows[0].lsn;

    // 4. raw decoding rate.
    const url = new URL(fixture.db.url);
    let started = Date.now();
    execFileSync('pg_recvlogical', [
      '-d', fixture.db.url, '--slot', 'bench_raw', '--start', '--no-loop', '-E', endLsn, '-f', '/dev/null',
      '-o', 'proto_version=1', '-o', `publication_names=${fixture.publication}`,
    ], { env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) }, stdio: 'inherit' });
    const rawSeconds = (Date.now() - started) / 1000;

    // 5. capture from its slot to Kafka-acknowledged.
    started = Date.now();
    capture = fixture.startCapture([table], { PAYSYNC_LOG_LEVEL: 'warn' });
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, capture.peakRssBytes())), 200);
    await fixture.waitCaughtUp(capture, 3_600_000);
    clearInterval(sampler);
    const captureSeconds = (Date.now() - started) / 1000;
    capture.kill('SIGTERM');
    await capture.exited;

    const rawRate = rows / rawSeconds;
    const captureRate = rows / captureSeconds;
    console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
    console.log(`load: ${rows} rows in transactions of ${perTx}`);
    console.log(`pg_recvlogical (pgoutput -> /dev/null): ${rawSeconds.toFixed(2)} s, ${Math.round(rawRate)} rows/s`);
    console.log(`paysync capture (WAL -> Kafka acked):   ${captureSeconds.toFixed(2)} s, ${Math.round(captureRate)} rows/s (incl. process start), peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
    console.log(`ratio capture/raw: ${(captureRate / rawRate).toFixed(2)} (goal >= 0.5)`);
  } finally {
    await fixture.cleanup();
  }
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
