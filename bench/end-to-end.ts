/**
 * End to end: source commit -> target commit through the real pipeline (the built `paysync
 * capture` and `paysync apply`, Kafka, the schema registry), PostgreSQL target (DESIGN.md §8).
 *
 *   npm run stack:up && npm run build && npm run bench:e2e -- [--rows 200000] [--per-tx 1000]
 *       [--rates 200,500,1000] [--seconds 30] [--modes parallel,transactional]
 *
 * 1. Throughput: `rows` ledger rows inserted in transactions of `per-tx` while capture and apply
 *    run; rows/s from the first source commit to the moment the target holds all of them.
 * 2. Latency: a steady offered rate of transactions (open loop: started on schedule, not when the
 *    previous one ends), each updating one account and inserting one ledger row in one statement.
 *    Latency of a transaction = when a poller of the target (every 10 ms) first sees its ledger row
 *    - when its COMMIT returned on the source; both read from this process's clock.
 * Each apply mode runs on a pipeline of its own (transactional: capture also writes the transaction
 * topic). Everything a mode created is removed: databases, slot, topics (and with them the consumer
 * group's offsets, so Kafka drops the empty group), registry subjects.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { createPool, lsnToBigInt, type Pool } from '@paysync/postgres';
import { ACCOUNTS, PAYMENTS_TABLES } from '../demo/payments-workload';
import { failIfExited, serviceHttpUrl, stopService } from '../demo/service-process';
import { deleteRegistrySubjectsStartingWith } from '../demo/stack-cleanup';
import { PipelineFixture } from '../test/support/pipeline-fixture';
import { stackAddresses } from '../test/support/stack-addresses';
import { sleep } from '../test/support/wait';
import type { PaysyncProcess } from '../test/support/paysync-process';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    'per-tx': { type: 'string', default: '1000' },
    rates: { type: 'string', default: '200,500,1000' },
    seconds: { type: 'string', default: '30' },
    modes: { type: 'string', default: 'parallel,transactional' },
  },
});

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number >= 1, got ${text}`);
  return value;
}

const rows = positive('rows', args.rows);
const perTx = positive('per-tx', args['per-tx']);
const rates = args.rates.split(',').map((r) => positive('rates', r));
const seconds = positive('seconds', args.seconds);
const modes = args.modes.split(',');
const command = `npm run bench:e2e -- --rows ${rows} --per-tx ${perTx} --rates ${rates.join(',')} --seconds ${seconds} --modes ${modes.join(',')}`;

/** Transactions in flight at most during the latency phase: beyond it the source itself is the limit. */
const MAX_IN_FLIGHT = 32;
const WARM_UP_SECONDS = 5;
/** Below this the pipeline is stuck rather than slow: bounds every wait, so a hang ends in an error. */
const FLOOR_ROWS_PER_S = 500;
const POLL_MS = 10;
const MAX_BEHIND_MS = 10_000;

const log = (text: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);
const now = (): number => performance.now();

interface Pipeline {
  fixture: PipelineFixture;
  services: Record<'capture' | 'apply', PaysyncProcess>;
  source: Pool;
  target: Pool;
}

/** A check for a polling loop: throws when a service died or the step took longer than `items` at the floor rate allow. */
function deadline(step: string, items: number, pipeline: Pipeline): () => void {
  const limitSeconds = 60 + Math.ceil(items / FLOOR_ROWS_PER_S);
  const limit = now() + limitSeconds * 1000;
  return () => {
    failIfExited(pipeline.services);
    if (now() > limit) throw new Error(`${step}: not done after ${limitSeconds} s`);
  };
}

async function count(pool: Pool, sql: string): Promise<number> {
  const { rows: found } = await pool.query<{ n: string }>(sql);
  return Number(found[0].n);
}

/** Rows of a target table; 0 while apply has not created it yet (it does with the table's first batch). */
function targetRows(target: Pool, table: string): Promise<number> {
  return count(target, `SELECT count(*) AS n FROM ${table}`).catch((err: { code?: string }) => {
    if (err.code === '42P01') return 0;
    throw err;
  });
}

interface Throughput {
  loadSeconds: number;
  capturedSeconds: number;
  appliedSeconds: number;
}

/** Bulk load into the ledger; times from the first source commit to Kafka (slot confirmed) and to the target. */
async function throughput(pipeline: Pipeline): Promise<Throughput> {
  const { source, target, fixture } = pipeline;
  const expected = (await count(source, 'SELECT count(*) AS n FROM public.ledger')) + rows;
  const check = deadline('throughput: target to hold every row', rows, pipeline);
  let firstCommit: number | undefined;
  let loaded: { at: number; lsn: bigint } | undefined;
  let failed: unknown;
  void (async () => {
    for (let done = 0; done < rows; done += perTx) {
      await source.query(
        `INSERT INTO public.ledger (account_id, amount) SELECT 1 + g % ${ACCOUNTS}, (g % 5000) / 100.0 FROM generate_series(1, $1::int) g`,
        [Math.min(perTx, rows - done)],
      );
      firstCommit ??= now();
    }
    // The insert position: the write position can lie before a commit that already returned.
    const { rows: lsn } = await source.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    loaded = { at: now(), lsn: lsnToBigInt(lsn[0].lsn) };
  })().catch((err: unknown) => (failed = err));
  // Polled independently: the slot's confirmed position may be reported after apply already committed the rows.
  let captured: number | undefined;
  let applied: number | undefined;
  for (;;) {
    if (failed) throw failed;
    const polled = now();
    if (loaded && captured === undefined) {
      const { rows: slot } = await source.query<{ lsn: string | null }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [fixture.capture.slot]);
      if (slot[0]?.lsn != null && lsnToBigInt(slot[0].lsn) >= loaded.lsn) captured = polled;
    }
    if (applied === undefined && (await targetRows(target, 'public.ledger')) >= expected) applied = polled;
    if (captured !== undefined && applied !== undefined) {
      const start = firstCommit as number;
      return { loadSeconds: ((loaded as { at: number }).at - start) / 1000, capturedSeconds: (captured - start) / 1000, appliedSeconds: (applied - start) / 1000 };
    }
    check();
    await sleep(250);
  }
}

interface Latency {
  offered: number;
  achieved: number;
  transactions: number;
  /** Milliseconds, sorted. */
  latencies: number[];
  /** Seconds into the load when a committed transaction had been missing from the target for MAX_BEHIND_MS: the rate is not sustained. */
  fellBehindAt?: number;
}

const ONE_TRANSACTION = `WITH moved AS (UPDATE public.accounts SET balance = balance + 1, updated_at = now() WHERE id = $1 RETURNING id)
  INSERT INTO public.ledger (account_id, amount) SELECT id, 1 FROM moved RETURNING id::text AS id`;

/**
 * `rate` transactions a second for `duration` seconds; waits until the target shows every one of
 * them, or stops the load as soon as the target falls MAX_BEHIND_MS behind (the backlog would only grow).
 */
async function latency(pipeline: Pipeline, rate: number, duration: number): Promise<Latency> {
  const { source, target } = pipeline;
  const total = rate * duration;
  /** ledger id -> when its commit returned */
  const pending = new Map<string, number>();
  const latencies: number[] = [];
  let loading = true;
  let failed: unknown;
  let fellBehindAt: number | undefined;
  const check = deadline(`latency at ${rate} tx/s: target to show every transaction`, total * 2, pipeline);
  const started = now();
  const poller = (async () => {
    while ((loading || pending.size > 0) && fellBehindAt === undefined) {
      const polled = now();
      if (pending.size > 0) {
        const { rows: seen } = await target.query<{ id: string }>('SELECT id::text AS id FROM public.ledger WHERE id = ANY($1::bigint[])', [[...pending.keys()]]);
        for (const { id } of seen) {
          latencies.push(polled - (pending.get(id) as number));
          pending.delete(id);
        }
      }
      // The map keeps commit order: its first entry is the oldest transaction still missing.
      const oldest = pending.values().next().value;
      if (oldest !== undefined && polled - oldest > MAX_BEHIND_MS) fellBehindAt = (polled - started) / 1000;
      check();
      await sleep(Math.max(0, POLL_MS - (now() - polled)));
    }
  })().catch((err: unknown) => (failed = err));
  const inFlight = new Set<Promise<void>>();
  let lastCommit = started;
  let committed = 0;
  try {
    for (let i = 0; i < total && fellBehindAt === undefined; i += 1) {
      if (failed) throw failed;
      const due = started + (i * 1000) / rate;
      if (due > now()) await sleep(due - now());
      if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
      const account = 1 + Math.floor(Math.random() * ACCOUNTS);
      const tx: Promise<void> = source.query<{ id: string }>(ONE_TRANSACTION, [account]).then(({ rows: inserted }) => {
        lastCommit = now();
        committed += 1;
        pending.set(inserted[0].id, lastCommit);
        inFlight.delete(tx);
      });
      inFlight.add(tx);
    }
    await Promise.all(inFlight);
  } finally {
    loading = false;
  }
  await poller;
  if (failed) throw failed;
  return { offered: rate, achieved: committed / ((lastCommit - started) / 1000), transactions: committed, latencies: latencies.sort((a, b) => a - b), fellBehindAt };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const ms = (value: number): string => `${Math.round(value)} ms`;

function throughputLine(t: Throughput): string {
  return (
    `throughput: ${rows} rows in transactions of ${perTx}: end to end ${Math.round(rows / t.appliedSeconds)} rows/s (target held all ${t.appliedSeconds.toFixed(1)} s after the first commit); ` +
    `capture confirmed all after ${t.capturedSeconds.toFixed(1)} s (${Math.round(rows / t.capturedSeconds)} rows/s); source load alone ${t.loadSeconds.toFixed(1)} s`
  );
}

function latencyLine(l: Latency): string {
  const sorted = l.latencies;
  if (l.fellBehindAt !== undefined) {
    return `latency at ${l.offered} tx/s offered: not sustained: ${l.fellBehindAt.toFixed(1)} s into the load a committed transaction was still missing from the target after ${MAX_BEHIND_MS / 1000} s (load stopped; ${l.transactions} tx committed, ${Math.round(l.achieved)} tx/s)`;
  }
  return (
    `latency at ${l.offered} tx/s offered (${Math.round(l.achieved)} tx/s achieved, ${l.transactions} tx): ` +
    `p50 ${ms(percentile(sorted, 50))}, p90 ${ms(percentile(sorted, 90))}, p99 ${ms(percentile(sorted, 99))}, max ${ms(sorted[sorted.length - 1])}`
  );
}

/** Starts capture and apply in `mode` on a fresh source and target; undefined when this apply does not offer the mode. */
async function startPipeline(fixture: PipelineFixture, mode: string): Promise<Pipeline | undefined> {
  const capture = await fixture.capture.startCaptureStreaming(PAYMENTS_TABLES, mode === 'transactional' ? { PAYSYNC_TRANSACTION_TOPIC: 'true' } : {});
  const apply = fixture.startApply({ PAYSYNC_APPLY_MODE: mode });
  try {
    await serviceHttpUrl(apply, 'apply running');
  } catch (err) {
    if (/not available yet/.test(apply.output())) return undefined;
    throw err;
  }
  const pipeline: Pipeline = {
    fixture,
    services: { capture, apply },
    source: createPool(fixture.capture.db.url, { applicationName: 'paysync-bench-source', max: MAX_IN_FLIGHT }),
    target: createPool(fixture.target.url, { applicationName: 'paysync-bench-target', max: 2 }),
  };
  // The snapshot of the accounts comes first: measurements start on a target that has caught up.
  const check = deadline('the accounts snapshot to reach the target', ACCOUNTS, pipeline);
  while ((await targetRows(pipeline.target, 'public.accounts')) < ACCOUNTS) {
    check();
    await sleep(100);
  }
  return pipeline;
}

async function removePipeline(fixture: PipelineFixture, pipeline: Pipeline | undefined): Promise<void> {
  if (pipeline) {
    for (const service of Object.values(pipeline.services)) await stopService(service);
    await pipeline.source.end();
    await pipeline.target.end();
  }
  await fixture.cleanup();
  await deleteRegistrySubjectsStartingWith(stackAddresses().PAYSYNC_TEST_REGISTRY_URL, `${fixture.capture.prefix}.`);
}

/** Measures one apply mode on a pipeline of its own; each figure goes to `report` as soon as it is known. */
async function runMode(mode: string, report: (line: string) => void): Promise<void> {
  const fixture = await PipelineFixture.create('postgres');
  let pipeline: Pipeline | undefined;
  try {
    log(`${mode}: starting capture and apply`);
    pipeline = await startPipeline(fixture, mode);
    if (!pipeline) return report(`PAYSYNC_APPLY_MODE=${mode}: not available yet in this build (apply refused it)`);
    log(`${mode}: throughput, ${rows} rows`);
    report(throughputLine(await throughput(pipeline)));
    log(`${mode}: latency warm-up, ${WARM_UP_SECONDS} s at ${rates[0]} tx/s`);
    await latency(pipeline, rates[0], WARM_UP_SECONDS);
    for (const [i, rate] of rates.entries()) {
      log(`${mode}: latency, ${seconds} s at ${rate} tx/s`);
      const result = await latency(pipeline, rate, seconds);
      report(latencyLine(result));
      // A backlog is left behind: a higher rate would measure it, not the pipeline.
      if (result.fellBehindAt !== undefined && i < rates.length - 1) return report(`latency at ${rates.slice(i + 1).join(', ')} tx/s: skipped (${rate} tx/s already not sustained)`);
    }
  } finally {
    await removePipeline(fixture, pipeline);
  }
}

async function machine(): Promise<string> {
  const probe = createPool(stackAddresses().PAYSYNC_TEST_PG_URL, { applicationName: 'paysync-bench', max: 1 });
  try {
    const { rows: version } = await probe.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    return `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, node ${process.version}, PostgreSQL ${version[0].v}, Kafka 3.9.1 single node; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`;
  } finally {
    await probe.end();
  }
}

async function main(): Promise<number> {
  const lines: string[] = [];
  let failures = 0;
  for (const mode of modes) {
    const report = (line: string): void => {
      lines.push(`${mode}: ${line}`);
      log(`${mode}: ${line}`);
    };
    try {
      await runMode(mode, report);
    } catch (err) {
      failures += 1;
      report(`failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  console.log(`command: ${command}`);
  // The CLI runs from the working tree's build: name the commit, and say when the tree differed from it.
  console.log(`code: ${execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).trim()}`);
  console.log(`machine: ${await machine()}`);
  for (const line of lines) console.log(line);
  return failures === 0 ? 0 : 1;
}

void main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
