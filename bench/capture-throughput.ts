/**
 * Capture benchmark: the capture figures of DESIGN.md §8, each beside its peer, in one run on one
 * machine.
 *
 *   npm run stack:up && npm run build && npm run bench:capture -- [rows] [rowsPerTransaction] [bigTransactionRows]
 *
 * 1. WAL streaming: `rows` rows inserted in transactions of `rowsPerTransaction`, then decoded from
 *    the same WAL by pg_recvlogical (pgoutput, to /dev/null) and by capture (to Kafka, acknowledged).
 * 2. Initial copy: capture's snapshot of a `rows`-row table beside `pg_dump | psql` of that table,
 *    then `paysync replay` of the topics it filled into an empty database, beside the same dump.
 * 3. Memory: capture's peak RSS while it streams one transaction of `bigTransactionRows` rows (0 skips).
 *
 * Every wait is bounded and says what it waited for; what the run creates (databases, slots,
 * topics, registry subjects) is removed, also after a failure or Ctrl-C.
 */
import { partitionOffsets } from '@paysync/kafka';
import { lsnToBigInt, type Pool } from '@paysync/postgres';
import { CaptureFixture } from '../test/support/capture-fixture';
import { createScratchDatabase, uniqueName, type ScratchDatabase } from '../test/support/fixtures';
import type { PaysyncProcess } from '../test/support/paysync-process';
import { stackAddresses } from '../test/support/stack-addresses';
import { topicRecordCount } from '../test/support/topic-reader';
import { deleteRegistrySubjectsStartingWith } from '../demo/stack-cleanup';
import { atCleanup, log, runBenchmark } from './bench-run';
import { codeVersion, loadAverage, machine, postgresVersion } from './machine';
import { runBounded } from '../test/support/bounded-run';
import { libpqTarget } from './libpq-target';
import { processUsage, stackCpuText, stackCpuWindow, usageText } from './process-usage';
import { timedReplay } from './replay-section';

function countArg(index: number, fallback: number, min: number): number {
  const text = process.argv[index];
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`argument ${index - 1} must be an integer >= ${min}, got ${text}`);
  return value;
}

const rows = countArg(2, 500_000, 1);
const perTx = countArg(3, 1000, 1);
const bigTxRows = countArg(4, 1_000_000, 0);
const command = `npm run bench:capture -- ${rows} ${perTx} ${bigTxRows}`;

/**
 * Below these rates a step is stuck, not slow: each wait's limit follows from them, so a hang
 * ends in an error naming the step instead of a silent wait.
 */
const CAPTURE_FLOOR_ROWS_PER_S = 1000;
const RAW_FLOOR_ROWS_PER_S = 5000;
const limitMs = (n: number, floorPerSecond: number): number => 60_000 + Math.ceil((n / floorPerSecond) * 1000);

const TABLE_DDL = `CREATE TABLE public.bench (id bigint PRIMARY KEY, amount numeric(20,4) NOT NULL, memo text NOT NULL, at timestamptz NOT NULL)`;
const insertRows = (from: number, to: number): string =>
  `INSERT INTO public.bench SELECT g, g / 7.0, 'payment ' || g, now() FROM generate_series(${from}, ${to}) g`;

async function newFixture(ddl: string[]): Promise<CaptureFixture> {
  const fixture = await CaptureFixture.create(ddl);
  atCleanup(async () => {
    await fixture.cleanup();
    await deleteRegistrySubjectsStartingWith(stackAddresses().PAYSYNC_TEST_REGISTRY_URL, `${fixture.prefix}.`);
  });
  return fixture;
}

async function newScratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const db = await createScratchDatabase(prefix);
  atCleanup(() => db.drop());
  return db;
}

async function currentInsertLsn(pool: Pool): Promise<string> {
  return (await pool.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0].lsn;
}

async function confirmedLsn(pool: Pool, slot: string): Promise<string | null> {
  const { rows: found } = await pool.query<{ lsn: string | null }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  return found[0]?.lsn ?? null;
}

function exitState(capture: PaysyncProcess): string | undefined {
  const { exitCode, signalCode } = capture.child;
  return exitCode !== null || signalCode !== null ? String(exitCode ?? signalCode) : undefined;
}

/**
 * Polls `done` until it holds; fails after `timeoutMs`, or at once when `capture` has exited, with
 * the step, the state from `progress` and capture's last output. Prints `progress` every 15 s.
 */
async function waitFor(step: string, done: () => Promise<boolean>, timeoutMs: number, capture: PaysyncProcess, progress: () => Promise<string> = async () => ''): Promise<void> {
  const started = Date.now();
  let reported = started;
  for (;;) {
    if (await done()) return;
    const exited = exitState(capture);
    const overdue = Date.now() - started > timeoutMs;
    if (exited !== undefined || overdue) {
      const why = exited !== undefined ? `capture exited (${exited})` : `not done after ${Math.round(timeoutMs / 1000)} s`;
      throw new Error(`${step}: ${why}. ${await progress()}\ncapture's last output:\n${capture.output().slice(-3000)}`);
    }
    if (Date.now() - reported >= 15_000) {
      reported = Date.now();
      log(`${step}: still waiting after ${Math.round((reported - started) / 1000)} s. ${await progress()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * How far capture got, for progress lines: a large transaction's LSN is confirmed only at its end.
 * From the end offsets, which Kafka's transaction markers count too: reading the records to count
 * them would take from the capture being timed.
 */
function recordsProgress(fixture: CaptureFixture, expected: number): () => Promise<string> {
  return async () => {
    const offsets = (await partitionOffsets(fixture.kafka, fixture.topic('public.bench'))).reduce((sum, p) => sum + Number(p.high - p.low), 0);
    return `${fmt(offsets)} offsets (records and transaction markers) for ${fmt(expected)} records in Kafka.`;
  };
}

/** Waits until capture's slot has confirmed `lsn`: by the acknowledgement rule, all before it is in Kafka. */
async function waitConfirmed(fixture: CaptureFixture, capture: PaysyncProcess, lsn: string, timeoutMs: number, step: string, expected: number): Promise<void> {
  const { slot } = fixture;
  const target = lsnToBigInt(lsn);
  await waitFor(
    step,
    async () => {
      const confirmed = await confirmedLsn(fixture.db.pool, slot);
      return confirmed !== null && lsnToBigInt(confirmed) >= target;
    },
    timeoutMs,
    capture,
    async () => {
      const confirmed = await confirmedLsn(fixture.db.pool, slot);
      const behind = confirmed === null ? 'no slot' : `${(Number(target - lsnToBigInt(confirmed)) / 2 ** 20).toFixed(1)} MiB of WAL`;
      return `Slot ${slot} confirmed ${confirmed ?? '-'}, target ${lsn} (${behind} to go); ${await recordsProgress(fixture, expected)()}`;
    },
  );
}

/** The time field of capture's first log line with this message. */
function logTime(capture: PaysyncProcess, msg: string): number | undefined {
  const line = capture.logs().find((l) => l.msg === msg);
  return typeof line?.time === 'string' ? Date.parse(line.time) : undefined;
}

async function waitLogged(capture: PaysyncProcess, msg: string, timeoutMs: number, progress?: () => Promise<string>): Promise<number> {
  await waitFor(`capture to log "${msg}"`, async () => logTime(capture, msg) !== undefined, timeoutMs, capture, progress);
  return logTime(capture, msg) as number;
}

async function stopCapture(capture: PaysyncProcess): Promise<void> {
  capture.kill('SIGTERM');
  const code = await Promise.race([capture.exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 60_000))]);
  if (code === 'timeout') {
    capture.kill('SIGKILL');
    throw new Error(`capture did not stop within 60 s of SIGTERM; last output:\n${capture.output().slice(-3000)}`);
  }
  if (code !== 0) throw new Error(`capture exited with ${code} on SIGTERM; last output:\n${capture.output().slice(-3000)}`);
}

async function expectRecords(fixture: CaptureFixture, expected: number, step: string): Promise<void> {
  const count = await topicRecordCount(fixture.kafka, fixture.topic('public.bench'));
  if (count < expected) throw new Error(`${step}: the topic holds ${count} records, expected ${expected}`);
  if (count > expected) log(`${step}: the topic holds ${count} records for ${expected} rows (re-sent after a restart)`);
}

interface Figure {
  what: string;
  value: string;
  peer: string;
  goal: string;
  met: boolean;
}

const rate = (n: number, seconds: number): number => Math.round(n / seconds);
const fmt = (n: number): string => n.toLocaleString('en');

/** Settings capture runs with beyond its defaults, apart from addresses and names. */
let captureSettings = '';
const PER_RUN_SETTINGS = ['PAYSYNC_SOURCE_URL', 'PAYSYNC_TABLES', 'PAYSYNC_KAFKA_BROKERS', 'PAYSYNC_SCHEMA_REGISTRY_URL', 'PAYSYNC_TOPIC_PREFIX', 'PAYSYNC_SLOT', 'PAYSYNC_PUBLICATION'];

/** Section 1: the same WAL through pg_recvlogical and through capture. */
async function streaming(figures: Figure[]): Promise<void> {
  const fixture = await newFixture([TABLE_DDL]);
  captureSettings = Object.entries(fixture.env(['public.bench']))
    .filter(([name]) => !PER_RUN_SETTINGS.includes(name))
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  const capture1 = fixture.startCapture(['public.bench']);
  await waitLogged(capture1, 'snapshot of table done', 120_000);
  await stopCapture(capture1);

  // Created after capture's slot has confirmed everything before the load: both start at the load.
  const rawSlot = uniqueName('bench_raw');
  await fixture.db.pool.query('SELECT pg_create_logical_replication_slot($1, $2)', [rawSlot, 'pgoutput']);
  log(`streaming: inserting ${fmt(rows)} rows in transactions of ${fmt(perTx)}`);
  for (let from = 1; from <= rows; from += perTx) await fixture.db.pool.query(insertRows(from, Math.min(rows, from + perTx - 1)));
  const endLsn = await currentInsertLsn(fixture.db.pool);
  // A decoded record at or past the end position makes pg_recvlogical stop at once; without one it
  // waits for some later WAL or a keepalive past that position, which an idle server may not send.
  await fixture.db.pool.query(`SELECT pg_logical_emit_message(false, 'paysync.bench', 'end')`);

  log('streaming: pg_recvlogical decoding the load to /dev/null');
  const pg = libpqTarget(fixture.db.url);
  const { seconds: rawSeconds } = await runBounded(
    'pg_recvlogical',
    'pg_recvlogical',
    ['-d', pg.url, '--slot', rawSlot, '--start', '--no-loop', '-E', endLsn, '-f', '/dev/null', '-o', 'proto_version=1', '-o', `publication_names=${fixture.publication}`, '-o', 'messages=true'],
    pg.env,
    limitMs(rows, RAW_FLOOR_ROWS_PER_S),
  );

  log('streaming: capture from its slot to Kafka-acknowledged');
  const capture = fixture.startCapture(['public.bench']);
  const streamingAt = await waitLogged(capture, 'capture streaming', 120_000);
  const cpuAtStart = processUsage(capture.child.pid)?.cpuSeconds ?? 0;
  const stackCpu = stackCpuWindow();
  await waitConfirmed(fixture, capture, endLsn, limitMs(rows, CAPTURE_FLOOR_ROWS_PER_S), 'capture to confirm the load', rows);
  const captureSeconds = (Date.now() - streamingAt) / 1000;
  const peak = capture.peakRssBytes();
  // CPU of the capture process from "capture streaming" to the confirmed end, per row: its own cost, whatever the load beside it.
  const cpuMicrosPerRow = (((processUsage(capture.child.pid)?.cpuSeconds ?? 0) - cpuAtStart) * 1e6) / rows;
  const stack = stackCpu();
  await stopCapture(capture);
  await expectRecords(fixture, rows, 'streaming');

  const rawRate = rate(rows, rawSeconds);
  const captureRate = rate(rows, captureSeconds);
  const ratio = captureRate / rawRate;
  figures.push({
    what: `capture rows/s, WAL -> Kafka acked (${fmt(rows)} rows, ${fmt(perTx)} per transaction)`,
    value: `${fmt(captureRate)} rows/s (${captureSeconds.toFixed(1)} s; ${ratio.toFixed(2)}x raw; ${cpuMicrosPerRow.toFixed(1)} µs of capture CPU per row; peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB; ${stackCpuText(stack)})`,
    peer: `pg_recvlogical, pgoutput to /dev/null: ${fmt(rawRate)} rows/s (${rawSeconds.toFixed(1)} s)`,
    goal: '>= 0.5x raw decode',
    met: ratio >= 0.5,
  });
}

/** Section 2: capture's watermark snapshot of a table, and a replay of its topic, each beside pg_dump | psql of the same table. */
async function initialCopy(figures: Figure[]): Promise<void> {
  const fixture = await newFixture([TABLE_DDL]);
  log(`initial copy: loading ${fmt(rows)} rows`);
  await fixture.db.pool.query(insertRows(1, rows));
  await fixture.db.pool.query('VACUUM ANALYZE public.bench');

  log('initial copy: pg_dump | psql into an empty database');
  const target = await newScratchDatabase('paysync_bench_dump');
  const source = libpqTarget(fixture.db.url);
  const into = libpqTarget(target.url);
  const { seconds: dumpSeconds } = await runBounded(
    'pg_dump | psql',
    'bash',
    ['-o', 'pipefail', '-c', 'PGPASSWORD="$SOURCE_PASSWORD" pg_dump --no-owner --no-privileges -t public.bench "$SOURCE" | psql -q -X -v ON_ERROR_STOP=1 -o /dev/null "$TARGET"'],
    { PATH: process.env.PATH ?? '', SOURCE: source.url, SOURCE_PASSWORD: source.env.PGPASSWORD, TARGET: into.url, PGPASSWORD: into.env.PGPASSWORD },
    limitMs(rows, CAPTURE_FLOOR_ROWS_PER_S),
  );
  const copied = (await target.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM public.bench')).rows[0].n;
  if (Number(copied) !== rows) throw new Error(`pg_dump | psql copied ${copied} rows, expected ${rows}`);

  log('initial copy: capture snapshot');
  const capture = fixture.startCapture(['public.bench']);
  const limit = limitMs(rows, CAPTURE_FLOOR_ROWS_PER_S);
  const startedAt = await waitLogged(capture, 'snapshot of table starting', 120_000);
  // Sampled when the polls see the log lines: within 100 ms of the copy's own start and end.
  const cpuAtStart = processUsage(capture.child.pid)?.cpuSeconds ?? 0;
  const stackCpu = stackCpuWindow();
  const doneAt = await waitLogged(capture, 'snapshot of table done', limit, recordsProgress(fixture, rows));
  const cpuMicrosPerRow = (((processUsage(capture.child.pid)?.cpuSeconds ?? 0) - cpuAtStart) * 1e6) / rows;
  const stack = stackCpu();
  await stopCapture(capture);
  await expectRecords(fixture, rows, 'initial copy');

  const snapshotSeconds = (doneAt - startedAt) / 1000;
  const ratio = rate(rows, snapshotSeconds) / rate(rows, dumpSeconds);
  figures.push({
    what: `initial copy rows/s (snapshot of ${fmt(rows)} rows to Kafka acked)`,
    value: `${fmt(rate(rows, snapshotSeconds))} rows/s (${snapshotSeconds.toFixed(1)} s; ${ratio.toFixed(2)}x pg_dump | psql; ${cpuMicrosPerRow.toFixed(1)} µs of capture CPU per row; ${stackCpuText(stack)})`,
    peer: `pg_dump | psql of the table: ${fmt(rate(rows, dumpSeconds))} rows/s (${dumpSeconds.toFixed(1)} s)`,
    goal: '>= 1x pg_dump | psql',
    met: ratio >= 1,
  });

  const replay = await timedReplay(fixture, 'public.bench', rows, limitMs(rows, CAPTURE_FLOOR_ROWS_PER_S));
  const replayRatio = rate(rows, replay.seconds) / rate(rows, dumpSeconds);
  figures.push({
    what: `replay rows/s (${fmt(rows)} snapshot records from earliest into an empty PostgreSQL database, spawn to exit)`,
    value: `${fmt(rate(rows, replay.seconds))} rows/s (${replay.seconds.toFixed(1)} s; ${replayRatio.toFixed(2)}x pg_dump | psql; replay ${usageText(replay.usage)}; ${stackCpuText(replay.stack)})`,
    peer: `pg_dump | psql of the table: ${fmt(rate(rows, dumpSeconds))} rows/s (${dumpSeconds.toFixed(1)} s)`,
    goal: '>= 0.5x pg_dump | psql',
    met: replayRatio >= 0.5,
  });
}

/** Section 3: peak RSS while one transaction of `bigTxRows` rows goes through. */
async function bigTransaction(figures: Figure[]): Promise<void> {
  const fixture = await newFixture([TABLE_DDL]);
  const capture = fixture.startCapture(['public.bench']);
  await waitLogged(capture, 'snapshot of table done', 120_000);
  log(`memory: one transaction of ${fmt(bigTxRows)} rows`);
  const started = Date.now();
  await fixture.db.pool.query(insertRows(1, bigTxRows));
  const endLsn = await currentInsertLsn(fixture.db.pool);
  await waitConfirmed(fixture, capture, endLsn, limitMs(bigTxRows, CAPTURE_FLOOR_ROWS_PER_S), 'capture to confirm the large transaction', bigTxRows);
  const seconds = (Date.now() - started) / 1000;
  const peak = capture.peakRssBytes();
  await stopCapture(capture);
  await expectRecords(fixture, bigTxRows, 'memory');

  figures.push({
    what: `capture peak RSS, one ${fmt(bigTxRows)}-row transaction`,
    value: `${(peak / 2 ** 20).toFixed(0)} MiB = ${(peak / 1e6).toFixed(0)} MB (${fmt(rate(bigTxRows, seconds))} rows/s incl. the INSERT)`,
    peer: '-',
    goal: '<= 256 MB',
    met: peak <= 256e6,
  });
}

async function main(): Promise<void> {
  const startedAt = new Date();
  // The built capture that runs is whatever the working tree held at `npm run build`.
  const code = codeVersion();
  const serverVersion = await postgresVersion(stackAddresses().PAYSYNC_TEST_PG_URL);
  const load = loadAverage();
  const figures: Figure[] = [];
  await streaming(figures);
  await initialCopy(figures);
  if (bigTxRows > 0) await bigTransaction(figures);

  console.log(`\ncommand: ${command}`);
  console.log(`machine: ${machine([serverVersion])}`);
  console.log(`code: ${code}`);
  console.log(`run: ${startedAt.toISOString()} .. ${new Date().toISOString()}; load average at start ${load}, at end ${loadAverage()}`);
  console.log(`capture: default settings except ${captureSettings || 'none'}`);
  console.log('PostgreSQL, Kafka, the registry and this benchmark share these cores.\n');
  console.log('| what | measured | peer | goal | met |');
  console.log('|---|---|---|---|---|');
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  for (const f of figures) console.log(`| ${[f.what, f.value, f.peer, f.goal, f.met ? 'yes' : 'no'].map(cell).join(' | ')} |`);
}

runBenchmark(main);
