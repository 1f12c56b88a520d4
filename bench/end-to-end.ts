/**
 * End to end: source commit -> target commit through the real pipeline (the built `paysync
 * capture` and `paysync apply`, Kafka, the schema registry), PostgreSQL target (DESIGN.md §8).
 *
 *   npm run stack:up && npm run build && npm run bench:e2e -- [--rows 200000] [--per-tx 1000]
 *       [--rates 1000,2000,3000,4000,5000] [--seconds 30] [--modes parallel,transactional]
 *
 * 1. Throughput: `rows` ledger rows inserted in transactions of `per-tx` while capture and apply
 *    run; rows/s from the first source commit to the moment the target holds all of them.
 * 2. Latency: a steady offered rate of transactions (open loop: started on schedule, not when the
 *    previous one ends), each updating one account and inserting one ledger row in one statement.
 *    Latency of a transaction = when a poller of the target (every 10 ms) first sees its ledger row
 *    - when its COMMIT returned on the source; both read from this process's clock. The rates are
 *    a sweep, lowest first: each mode ends with its p99 at 1,000 tx/s (goal < 50 ms) and the
 *    highest offered rate it sustained with p99 < 200 ms (goal >= 5,000 tx/s).
 * Each apply mode runs on a pipeline of its own (transactional: capture also writes the transaction
 * topic). Everything a mode created is removed: databases, slot, topics (and with them the consumer
 * group's offsets, so Kafka drops the empty group), registry subjects.
 */
import { parseArgs } from 'node:util';
import { ACCOUNTS } from '../demo/payments-workload';
import { PipelineFixture } from '../test/support/pipeline-fixture';
import { sleep } from '../test/support/wait';
import { log, runBenchmark } from './bench-run';
import { cpuWindow, processUsage, stackServiceCpuSeconds, usageText } from './process-usage';
import { codeVersion } from './machine';
import { deadline, e2eMachine, positive, now, pipelineAlive, removePipeline, startPipeline, timedLedgerLoad, type Pipeline, type Throughput } from './e2e-pipeline';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    'per-tx': { type: 'string', default: '1000' },
    rates: { type: 'string', default: '1000,2000,3000,4000,5000' },
    seconds: { type: 'string', default: '30' },
    modes: { type: 'string', default: 'parallel,transactional' },
  },
});

const rows = positive('rows', args.rows);
const perTx = positive('per-tx', args['per-tx']);
const rates = args.rates.split(',').map((r) => positive('rates', r));
const seconds = positive('seconds', args.seconds);
const modes = args.modes.split(',');
const command = `npm run bench:e2e -- --rows ${rows} --per-tx ${perTx} --rates ${rates.join(',')} --seconds ${seconds} --modes ${modes.join(',')}`;

/** Transactions in flight at most during the latency phase: beyond it the source itself is the limit. */
const MAX_IN_FLIGHT = 32;
const WARM_UP_SECONDS = 5;
const POLL_MS = 10;
const MAX_BEHIND_MS = 10_000;

interface Latency {
  offered: number;
  achieved: number;
  transactions: number;
  /** Milliseconds, sorted. */
  latencies: number[];
  /** Seconds into the load when a committed transaction had been missing from the target for MAX_BEHIND_MS: the rate is not sustained. */
  fellBehindAt?: number;
  /** Where the machine's CPU went meanwhile: its busy share, and cores used by each process. */
  cpu: { machineBusy: number; cores: Record<string, number> };
}

/** CPU seconds so far of capture, apply, this bench (the load generator and the poller) and the stack's servers. */
function cpuCounters(pipeline: Pipeline): Record<string, () => number> {
  return {
    capture: () => processUsage(pipeline.services.capture.child.pid)?.cpuSeconds ?? NaN,
    apply: () => processUsage(pipeline.services.apply.child.pid)?.cpuSeconds ?? NaN,
    bench: () => {
      const self = process.cpuUsage();
      return (self.user + self.system) / 1e6;
    },
    // Source and target are one server here; the registry is asked only when a schema is new.
    postgres: () => stackServiceCpuSeconds('postgres'),
    kafka: () => stackServiceCpuSeconds('kafka'),
  };
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
  const check = deadline(`latency at ${rate} tx/s: target to show every transaction`, total * 2, pipelineAlive(pipeline));
  const endCpu = cpuWindow(cpuCounters(pipeline));
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
  const wallSeconds = (now() - started) / 1000;
  const { seconds, machineBusy } = endCpu();
  const cpu = { machineBusy, cores: Object.fromEntries(Object.entries(seconds).map(([name, used]) => [name, used / wallSeconds])) };
  return { offered: rate, achieved: committed / ((lastCommit - started) / 1000), transactions: committed, latencies: latencies.sort((a, b) => a - b), fellBehindAt, cpu };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const ms = (value: number): string => `${Math.round(value)} ms`;

function throughputLine(t: Throughput): string {
  return (
    `throughput: ${rows} rows in transactions of ${perTx}: end to end ${Math.round(rows / t.appliedSeconds)} rows/s (target held all ${t.appliedSeconds.toFixed(1)} s after the first commit); ` +
    `${t.capturedSeconds === undefined ? 'capture did not confirm all within 60 s after that' : `capture confirmed all after ${t.capturedSeconds.toFixed(1)} s (${Math.round(rows / t.capturedSeconds)} rows/s)`}; source load alone ${t.loadSeconds.toFixed(1)} s`
  );
}

function cpuText(l: Latency): string {
  const cores = Object.entries(l.cpu.cores).map(([name, used]) => `${name} ${used.toFixed(2)}`);
  return `; CPU: machine ${Math.round(100 * l.cpu.machineBusy)}% busy, cores used by ${cores.join(', ')}`;
}

function latencyLine(l: Latency): string {
  const sorted = l.latencies;
  if (l.fellBehindAt !== undefined) {
    return `latency at ${l.offered} tx/s offered: not sustained: ${l.fellBehindAt.toFixed(1)} s into the load a committed transaction was still missing from the target after ${MAX_BEHIND_MS / 1000} s (load stopped; ${l.transactions} tx committed, ${Math.round(l.achieved)} tx/s)${cpuText(l)}`;
  }
  return (
    `latency at ${l.offered} tx/s offered (${Math.round(l.achieved)} tx/s achieved, ${l.transactions} tx): ` +
    `p50 ${ms(percentile(sorted, 50))}, p90 ${ms(percentile(sorted, 90))}, p99 ${ms(percentile(sorted, 99))}, max ${ms(sorted[sorted.length - 1])}${cpuText(l)}`
  );
}

/** The issue's goals for the latency sweep (DESIGN.md §8). */
const STEADY_RATE = 1000;
const STEADY_P99_MS = 50;
const SWEEP_P99_MS = 200;
const SWEEP_GOAL_RATE = 5000;
/** A rate counts as sustained when the source took nearly all of it and the target never fell behind. */
const ACHIEVED_SHARE = 0.95;

const sustained = (l: Latency): boolean => l.fellBehindAt === undefined && l.achieved >= ACHIEVED_SHARE * l.offered;

/** The sweep's two verdicts: p99 at the steady rate, and the highest rate sustained under the sweep's p99. */
function sweepLines(results: Latency[]): string[] {
  const steady = results.find((l) => l.offered === STEADY_RATE);
  const steadyP99 = steady && sustained(steady) ? percentile(steady.latencies, 99) : undefined;
  const under = results.filter((l) => sustained(l) && percentile(l.latencies, 99) < SWEEP_P99_MS).map((l) => l.offered);
  const highest = under.length > 0 ? Math.max(...under) : undefined;
  return [
    steady === undefined
      ? `p99 at ${STEADY_RATE} tx/s: not measured (not in --rates)`
      : `p99 at ${STEADY_RATE} tx/s: ${steadyP99 === undefined ? 'not sustained' : ms(steadyP99)} (goal < ${STEADY_P99_MS} ms: ${steadyP99 !== undefined && steadyP99 < STEADY_P99_MS ? 'met' : 'not met'})`,
    `highest offered rate sustained with p99 < ${SWEEP_P99_MS} ms: ${highest === undefined ? 'none of' : `${highest} tx/s of`} ${results.map((l) => l.offered).join(', ')} (goal >= ${SWEEP_GOAL_RATE} tx/s: ${highest !== undefined && highest >= SWEEP_GOAL_RATE ? 'met' : 'not met'})`,
  ];
}

/** Measures one apply mode on a pipeline of its own; each figure goes to `report` as soon as it is known. */
async function runMode(mode: string, report: (line: string) => void): Promise<void> {
  const fixture = await PipelineFixture.create('postgres');
  let pipeline: Pipeline | undefined;
  try {
    log(`${mode}: starting capture and apply`);
    pipeline = await startPipeline(fixture, mode, MAX_IN_FLIGHT);
    if (!pipeline) return report(`PAYSYNC_APPLY_MODE=${mode}: not available yet in this build (apply refused it)`);
    log(`${mode}: throughput, ${rows} rows`);
    report(throughputLine(await timedLedgerLoad({ ...pipeline, slot: fixture.capture.slot, rows, perTx, alive: pipelineAlive(pipeline) })));
    log(`${mode}: latency warm-up, ${WARM_UP_SECONDS} s at ${rates[0]} tx/s`);
    await latency(pipeline, rates[0], WARM_UP_SECONDS);
    const results: Latency[] = [];
    for (const [i, rate] of rates.entries()) {
      log(`${mode}: latency, ${seconds} s at ${rate} tx/s`);
      const result = await latency(pipeline, rate, seconds);
      results.push(result);
      report(latencyLine(result));
      // A backlog is left behind: a higher rate would measure it, not the pipeline.
      if (result.fellBehindAt !== undefined && i < rates.length - 1) {
        report(`latency at ${rates.slice(i + 1).join(', ')} tx/s: skipped (${rate} tx/s already not sustained)`);
        break;
      }
    }
    for (const line of sweepLines(results)) report(line);
    // For the Helm chart's resource defaults: what each process held and burned over the whole mode.
    for (const [name, service] of Object.entries(pipeline.services)) report(`${name}: ${usageText(processUsage(service.child.pid))}`);
  } finally {
    await removePipeline(fixture, pipeline);
  }
}

async function main(): Promise<void> {
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
  console.log(`code: ${codeVersion()}`);
  console.log(`machine: ${await e2eMachine()}`);
  for (const line of lines) console.log(line);
  // The figures are printed above; the exit code says some are missing.
  if (failures > 0) throw new Error(`${failures} of ${modes.length} modes failed`);
}

runBenchmark(main);
