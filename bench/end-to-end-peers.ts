/**
 * End-to-end rows/s side by side with the peers of DESIGN.md §8, in one run on one machine:
 * paysync (capture + apply, parallel mode), Debezium (PostgreSQL connector + JDBC sink on Kafka
 * Connect, Avro through the stack's registry; `debezium-json`: the same with Connect's JSON converter)
 * and pgstream (PostgreSQL -> PostgreSQL).
 *
 *   npm run stack:up && bash bench/peers/fetch.sh && npm run build && npm run bench:peers -- [--rows 200000] [--per-tx 1000]
 *       [--systems paysync,debezium,pgstream]
 *
 * Each system gets a fresh payments source and PostgreSQL target on the stack's server, is started,
 * shown to work (paysync: its snapshot of the accounts reaches the target; the peers, given a target
 * that is already a copy of the source: a changed account does), then `rows` ledger rows are inserted in
 * transactions of `per-tx`; rows/s = rows / (the moment the target holds them all - the first
 * source commit), as in bench:e2e. Afterwards its databases, slot, publication, topics, consumer
 * group, Connect offsets and processes are removed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createPool, type Pool } from '@paysync/postgres';
import { pgRows, rowDifferences } from '../demo/compare-rows';
import { PAYMENTS_COMPARED, PAYMENTS_DDL, PAYMENTS_TABLES } from '../demo/payments-workload';
import { ensureTopics } from '@paysync/kafka';
import { deleteRegistrySubjectsStartingWith, deleteTopicsStartingWith } from '../demo/stack-cleanup';
import { createScratchDatabase, testKafka, uniqueName, type ScratchDatabase } from '../test/support/fixtures';
import { debeziumPostgresSource, jdbcSink } from '../test/support/debezium-connectors';
import { converters, debeziumVersion, sinkConsumerGroup, startConnect, type ConnectWorker } from '../test/support/kafka-connect';
import { failIfPeerExited, startPeer, stopPeer, withLog, type PeerProcess } from '../test/support/peer-process';
import { PipelineFixture } from '../test/support/pipeline-fixture';
import { stackAddresses } from '../test/support/stack-addresses';
import { sleep } from '../test/support/wait';
import { atCleanup, log, runBenchmark } from './bench-run';
import { codeVersion } from './machine';
import { deadline, e2eMachine, positive, pipelineAlive, removePipeline, startPipeline, timedLedgerLoad, type Pipeline, type Throughput } from './e2e-pipeline';

const SYSTEMS = ['paysync', 'debezium', 'debezium-json', 'pgstream'] as const;
type System = (typeof SYSTEMS)[number];
const DEFAULT_SYSTEMS: System[] = ['paysync', 'debezium', 'pgstream'];

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    'per-tx': { type: 'string', default: '1000' },
    systems: { type: 'string', default: DEFAULT_SYSTEMS.join(',') },
  },
});

const rows = positive('rows', args.rows);
const perTx = positive('per-tx', args['per-tx']);
const systems = args.systems.split(',').map((s) => {
  if (!(SYSTEMS as readonly string[]).includes(s)) throw new Error(`--systems: unknown system ${s} (known: ${SYSTEMS.join(', ')})`);
  return s as System;
});
const command = `npm run bench:peers -- --rows ${rows} --per-tx ${perTx} --systems ${systems.join(',')}`;

const REPO = join(__dirname, '..');
const PGSTREAM = join(REPO, '.stack', 'cache', 'bin', 'pgstream');
/** Config files, offsets and logs of the peers' processes; removed after each run. */
const RUNS = join(REPO, '.stack', 'peers-runs');

/**
 * A fresh payments source, and a target with the same tables and accounts: the peers write rows
 * into existing tables (the JDBC sink's own CREATE TABLE races between its tasks; pgstream creates
 * tables only through its pg_dump snapshot).
 */
async function sourceAndTarget(name: string): Promise<{ source: ScratchDatabase; target: ScratchDatabase }> {
  const source = await createScratchDatabase(`peer_${name}_src`);
  const target = await createScratchDatabase(`peer_${name}_tgt`);
  for (const db of [source, target]) {
    for (const statement of PAYMENTS_DDL) await db.pool.query(statement);
    // The accounts' default now() differs between the two databases; the copy must be equal.
    await db.pool.query(`UPDATE public.accounts SET updated_at = '2026-01-01T00:00:00Z'`);
  }
  return { source, target };
}

/**
 * `remove`, run once: at the end of a system's run (its processes must not load the machine while
 * the next system is measured), or on Ctrl-C (bench-run's cleanups).
 */
function removal(remove: () => Promise<void>): () => Promise<void> {
  let removed: Promise<void> | undefined;
  const once = (): Promise<void> => (removed ??= remove());
  atCleanup(once);
  return once;
}

interface Measured {
  version: string;
  throughput: Throughput;
  /** After the load: "equal", or what differs between source and target. */
  comparison: string;
}

/** Row by row over the payments tables, after the timed part: a fast copy must also be a right one. */
async function compare(source: Pool, target: Pool): Promise<string> {
  const problems: string[] = [];
  for (const table of PAYMENTS_COMPARED) {
    problems.push(...rowDifferences(await pgRows(source, table), await pgRows(target, table), 3).map((d) => `${table.name}: ${d}`));
  }
  return problems.length === 0 ? 'equal' : `differs: ${problems.join('; ')}`;
}

async function runPaysync(): Promise<Measured> {
  const fixture = await PipelineFixture.create('postgres');
  let pipeline: Pipeline | undefined;
  const remove = removal(() => removePipeline(fixture, pipeline));
  try {
    pipeline = await startPipeline(fixture, 'parallel', 2);
    if (!pipeline) throw new Error('apply refused PAYSYNC_APPLY_MODE=parallel');
    log('paysync: running; loading');
    const throughput = await timedLedgerLoad({ ...pipeline, slot: fixture.capture.slot, rows, perTx, alive: pipelineAlive(pipeline) });
    return {
      version: `paysync ${codeVersion()} (capture + apply, PAYSYNC_APPLY_MODE=parallel, Avro through the registry, 3 partitions per table)`,
      throughput,
      comparison: await compare(pipeline.source, pipeline.target),
    };
  } finally {
    await remove();
  }
}

/**
 * Changes one account on the source until the change shows in the target: the peer streams. A
 * change made before the peer's slot existed is never delivered, hence again every 2 s.
 */
async function waitStreaming(source: Pool, target: Pool, alive: () => void): Promise<void> {
  // Room for a JVM scanning its plugins on a busy machine (a minute, seen at load average 13).
  const check = deadline('a first change to reach the target', 60_000, alive);
  for (let attempt = 1; ; attempt += 1) {
    await source.query(`UPDATE public.accounts SET owner = $1 WHERE id = 1`, [`streaming ${attempt}`]);
    for (let poll = 0; poll < 8; poll += 1) {
      const { rows: found } = await target.query(`SELECT 1 FROM public.accounts WHERE id = 1 AND owner LIKE 'streaming %'`);
      if (found.length > 0) return;
      check();
      await sleep(250);
    }
  }
}

/** Once the peer streams, the timed load, then the comparison. */
async function measurePeer(system: System, source: ScratchDatabase, target: ScratchDatabase, slot: string, alive: () => void): Promise<Omit<Measured, 'version'>> {
  const targetPool = createPool(target.url, { applicationName: 'paysync-bench-target', max: 2 });
  try {
    await waitStreaming(source.pool, targetPool, alive);
    log(`${system}: running; loading`);
    const throughput = await timedLedgerLoad({ source: source.pool, target: targetPool, slot, rows, perTx, alive });
    return { throughput, comparison: await compare(source.pool, targetPool) };
  } finally {
    await targetPool.end();
  }
}

async function runDebezium(format: 'avro' | 'json'): Promise<Measured> {
  const stack = stackAddresses();
  // Underscores, not dashes: Debezium makes the topic prefix the namespace of its Avro schemas.
  const name = uniqueName('peer_dbz');
  const slot = uniqueName('dbz_slot');
  const dir = join(RUNS, name);
  mkdirSync(dir, { recursive: true });
  const { source, target } = await sourceAndTarget('dbz');
  const kafka = testKafka();
  let connect: ConnectWorker | undefined;
  // Made here, before Connect starts: as many partitions per table as paysync's capture makes (read
  // by as many sink tasks), and a sink subscribed to a regex would see a topic made later only at
  // its next metadata refresh (5 min).
  const topics = PAYMENTS_TABLES.map((t) => `${name}.${t}`);
  const remove = removal(async () => {
    await connect?.stop();
    await deleteTopicsStartingWith(kafka, `${name}.`);
    await deleteTopicsStartingWith(kafka, `__debezium-heartbeat.${name}`);
    for (const prefix of [`${name}.`, `__debezium-heartbeat.${name}`]) await deleteRegistrySubjectsStartingWith(stack.PAYSYNC_TEST_REGISTRY_URL, prefix);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.deleteGroups([sinkConsumerGroup(`${name}-sink`)]).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
    // The slot and the publication go with the source database; the Connect offsets with the run folder.
    await source.drop();
    await target.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    await ensureTopics(kafka, topics.map((topic) => ({ topic, numPartitions: 3 })));
    connect = await startConnect({
      dir,
      converters: converters(format),
      connectors: [
        debeziumPostgresSource(
          { name: `${name}-source`, database: source.name, topicPrefix: name, slot, tables: PAYMENTS_TABLES },
          {
            // The target starts as a copy, as for pgstream: stream only.
            'snapshot.mode': 'no_data',
            // Lets the slot's confirmed position move on when only other tables change (Debezium's advice for PostgreSQL).
            'heartbeat.interval.ms': 1000,
          },
        ),
        jdbcSink({ name: `${name}-sink`, database: target.name, topics }, { 'tasks.max': 3 }),
      ],
    });
    const started = connect;
    return {
      version: `Debezium ${debeziumVersion()} PostgreSQL connector (pgoutput) + JDBC sink (upsert, key from record key, deletes on, 3 tasks) on Kafka Connect 3.9.1 standalone, ${format === 'avro' ? "Apicurio's AvroConverter 2.6.13 with the stack's registry" : 'JsonConverter with schemas'}, 3 partitions per table`,
      ...(await measurePeer(format === 'avro' ? 'debezium' : 'debezium-json', source, target, slot, () => started.alive())),
    };
  } catch (err) {
    throw connect ? connect.explain(err) : err;
  } finally {
    await remove();
  }
}

/** The version go.mod pins (a binary built by go install reports "development"). */
function pgstreamVersion(): string {
  const goMod = readFileSync(join(__dirname, 'peers', 'pgstream', 'go.mod'), 'utf8');
  return /github\.com\/xataio\/pgstream (v\S+)/.exec(goMod)?.[1] ?? 'unknown';
}

async function runPgstream(): Promise<Measured> {
  if (!existsSync(PGSTREAM)) throw new Error('pgstream is missing: run bash bench/peers/fetch.sh');
  const name = uniqueName('peer_pgs');
  const slot = `${name}_slot`;
  const dir = join(RUNS, name);
  mkdirSync(dir, { recursive: true });
  const { source, target } = await sourceAndTarget('pgs');
  const url = (db: ScratchDatabase): string => `${db.url}${db.url.includes('?') ? '&' : '?'}sslmode=disable`;
  const config = join(dir, 'pgstream.yaml');
  let run: PeerProcess | undefined;
  const remove = removal(async () => {
    await stopPeer(run);
    // The slot, pgstream's schema and its event triggers go with the source database.
    await source.drop();
    await target.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    writeFileSync(
      config,
      [
        'source:',
        '  postgres:',
        `    url: "${url(source)}"`,
        '    mode: replication',
        '    replication:',
        `      replication_slot: "${slot}"`,
        'target:',
        '  postgres:',
        `    url: "${url(target)}"`,
        '    batch:',
        // The default is 30 s: it would only add to the tail of a bulk load.
        '      timeout: 1000',
        '    on_conflict_action: update',
        'modifiers:',
        '  filter:',
        '    include_tables:',
        ...PAYMENTS_TABLES.map((t) => `      - "${t}"`),
        '',
      ].join('\n'),
    );
    const init = spawnSync(PGSTREAM, ['init', '-c', config, '--log-level', 'info'], { cwd: dir, encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`pgstream init failed (${init.status ?? init.signal}):\n${`${init.stdout}${init.stderr}`.slice(-3000)}`);
    run = startPeer(PGSTREAM, ['run', '-c', config, '--log-level', 'info', '--no-color'], join(dir, 'pgstream.log'), dir);
    const started = run;
    const alive = (): void => failIfPeerExited('pgstream', started);
    return {
      version: `pgstream ${pgstreamVersion()} PostgreSQL -> PostgreSQL (replication mode, wal2json, batch timeout 1 s, on conflict update)`,
      ...(await measurePeer('pgstream', source, target, slot, alive)),
    };
  } catch (err) {
    throw withLog(err, join(dir, 'pgstream.log'));
  } finally {
    await remove();
  }
}

const RUNNERS: Record<System, () => Promise<Measured>> = {
  paysync: runPaysync,
  debezium: () => runDebezium('avro'),
  'debezium-json': () => runDebezium('json'),
  pgstream: runPgstream,
};

/** DESIGN.md §8: paysync end to end at least this many times each peer. */
const GOALS: Partial<Record<System, number>> = { debezium: 2, 'debezium-json': 2, pgstream: 1.5 };

const rate = (t: Throughput): number => rows / t.appliedSeconds;

async function main(): Promise<void> {
  const results = new Map<System, Measured>();
  const lines: string[] = [];
  let failures = 0;
  for (const system of systems) {
    log(`${system}: starting`);
    try {
      const measured = await RUNNERS[system]();
      results.set(system, measured);
      const t = measured.throughput;
      const line =
        `${system}: ${Math.round(rate(t))} rows/s end to end (target held all ${rows} rows ${t.appliedSeconds.toFixed(1)} s after the first commit); ` +
        `${t.capturedSeconds === undefined ? 'its slot did not confirm all within 60 s after that' : `slot confirmed all after ${t.capturedSeconds.toFixed(1)} s`}; source load alone ${t.loadSeconds.toFixed(1)} s; target after the load: ${measured.comparison}; ${measured.version}`;
      lines.push(line);
      log(line);
    } catch (err) {
      failures += 1;
      const line = `${system}: failed: ${err instanceof Error ? err.message : String(err)}`;
      lines.push(line);
      log(line);
    }
  }
  const paysync = results.get('paysync');
  for (const [peer, goal] of Object.entries(GOALS) as [System, number][]) {
    const other = results.get(peer);
    if (!paysync || !other) continue;
    const ratio = rate(paysync.throughput) / rate(other.throughput);
    lines.push(`paysync / ${peer}: ${ratio.toFixed(2)}x (goal >= ${goal}x: ${ratio >= goal ? 'met' : 'not met'})`);
  }
  console.log(`command: ${command}`);
  console.log(`code: ${codeVersion()}`);
  console.log(`machine: ${await e2eMachine()}`);
  console.log(`load: ${rows} ledger rows inserted in transactions of ${perTx}, one writer, into a fresh payments source per system; target on the same PostgreSQL server`);
  for (const line of lines) console.log(line);
  // The figures are printed above; the exit code says some are missing.
  if (failures > 0) throw new Error(`${failures} of ${systems.length} systems failed`);
}

runBenchmark(main);
