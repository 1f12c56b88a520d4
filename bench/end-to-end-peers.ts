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
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createPool, type Pool } from '@paysync/postgres';
import { pgRows, rowDifferences } from '../demo/compare-rows';
import { PAYMENTS_COMPARED, PAYMENTS_DDL, PAYMENTS_TABLES } from '../demo/payments-workload';
import { ensureTopics } from '@paysync/kafka';
import { deleteRegistrySubjectsStartingWith, deleteTopicsStartingWith } from '../demo/stack-cleanup';
import { createScratchDatabase, testKafka, uniqueName, type ScratchDatabase } from '../test/support/fixtures';
import { freePort } from '../test/support/free-port';
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
const PEERS_CACHE = join(REPO, '.stack', 'cache', 'peers');
const PGSTREAM = join(REPO, '.stack', 'cache', 'bin', 'pgstream');
/** Config files, offsets and logs of the peers' processes; removed after each run. */
const RUNS = join(REPO, '.stack', 'peers-runs');

/** A peer's process; its output goes to a log file (a JVM or Go process writes too much to keep in memory). */
interface PeerProcess {
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | string>;
}

function startPeer(file: string, argv: string[], logFile: string, cwd: string): PeerProcess {
  const out = openSync(logFile, 'a');
  const child = spawn(file, argv, { cwd, stdio: ['ignore', out, out] });
  closeSync(out);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, logFile, exited };
}

function tail(file: string, chars = 3000): string {
  return existsSync(file) ? readFileSync(file, 'utf8').slice(-chars) : '(no output)';
}

function failIfPeerExited(name: string, peer: PeerProcess): void {
  const exit = peer.child.exitCode ?? peer.child.signalCode;
  if (exit !== null) throw new Error(`${name} exited (${exit}):\n${tail(peer.logFile)}`);
}

/** The error with the warnings and errors of the peer's log (its run folder is removed afterwards). */
function withLog(err: unknown, logFile: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (!existsSync(logFile)) return new Error(message);
  const problems = readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => /\b(ERROR|WARN|error|warn|ERR|WRN)\b/.test(l))
    .slice(-15)
    .map((l) => l.slice(0, 600));
  return new Error(`${message}\nlast warnings and errors in ${logFile}:\n${problems.join('\n') || '(none)'}`);
}

async function stopPeer(peer: PeerProcess | undefined, graceMs = 15_000): Promise<void> {
  if (!peer || peer.child.exitCode !== null || peer.child.signalCode !== null) return;
  peer.child.kill('SIGTERM');
  const timer = setTimeout(() => peer.child.kill('SIGKILL'), graceMs);
  await peer.exited;
  clearTimeout(timer);
}

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

function javaBinary(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** Java properties text; backslashes are escapes there. */
function properties(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${String(v).replace(/\\/g, '\\\\')}`)
    .join('\n');
}

function debeziumVersion(): string {
  const jar = readdirSync(join(PEERS_CACHE, 'plugins', 'debezium-connector-postgres')).find((f) => f.startsWith('debezium-connector-postgres-'));
  return jar?.replace(/^debezium-connector-postgres-(.*)\.jar$/, '$1') ?? 'unknown';
}

/** The connector or one of its tasks failed: the REST status says why. */
async function connectFailure(restUrl: string, connector: string): Promise<string | undefined> {
  const response = await fetch(`${restUrl}/connectors/${connector}/status`).catch(() => undefined);
  if (!response?.ok) return undefined; // not up yet, or the connector is not created yet
  const status = (await response.json()) as { connector: { state: string; trace?: string }; tasks: { id: number; state: string; trace?: string }[] };
  if (status.connector.state === 'FAILED') return `${connector}: ${status.connector.trace ?? 'failed'}`;
  const task = status.tasks.find((t) => t.state === 'FAILED');
  return task ? `${connector} task ${task.id}: ${task.trace ?? 'failed'}` : undefined;
}

/** Connect's converter settings: Avro through the stack's registry, or JSON with the schema in every record (the JDBC sink needs a schema). */
function converters(format: 'avro' | 'json'): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const side of ['key', 'value']) {
    if (format === 'json') {
      settings[`${side}.converter`] = 'org.apache.kafka.connect.json.JsonConverter';
      settings[`${side}.converter.schemas.enable`] = 'true';
    } else {
      settings[`${side}.converter`] = 'io.apicurio.registry.utils.converter.AvroConverter';
      // The 2.6 converter speaks the registry's v2 API (bench/peers/debezium/pom.xml).
      settings[`${side}.converter.apicurio.registry.url`] = stackAddresses().PAYSYNC_TEST_REGISTRY_URL.replace(/\/apis\/ccompat\/v7$/, '/apis/registry/v2');
      settings[`${side}.converter.apicurio.registry.auto-register`] = 'true';
      settings[`${side}.converter.apicurio.registry.find-latest`] = 'true';
    }
  }
  return settings;
}

async function runDebezium(format: 'avro' | 'json'): Promise<Measured> {
  if (!existsSync(join(PEERS_CACHE, 'connect')) || !existsSync(join(PEERS_CACHE, 'plugins', 'debezium-connector-jdbc'))) {
    throw new Error('Kafka Connect or the Debezium connectors are missing: run bash bench/peers/fetch.sh');
  }
  const stack = stackAddresses();
  const pg = new URL(stack.PAYSYNC_TEST_PG_URL);
  // Underscores, not dashes: Debezium makes the topic prefix the namespace of its Avro schemas.
  const name = uniqueName('peer_dbz');
  const slot = uniqueName('dbz_slot');
  const dir = join(RUNS, name);
  mkdirSync(dir, { recursive: true });
  const { source, target } = await sourceAndTarget('dbz');
  const kafka = testKafka();
  const restPort = await freePort();
  const restUrl = `http://127.0.0.1:${restPort}`;
  let connect: PeerProcess | undefined;
  let failure: string | undefined;
  let watching = true;
  // Made here, before Connect starts: as many partitions per table as paysync's capture makes (read
  // by as many sink tasks), and a sink subscribed to a regex would see a topic made later only at
  // its next metadata refresh (5 min).
  const topics = PAYMENTS_TABLES.map((t) => `${name}.${t}`);
  const remove = removal(async () => {
    watching = false;
    await stopPeer(connect);
    await deleteTopicsStartingWith(kafka, `${name}.`);
    await deleteTopicsStartingWith(kafka, `__debezium-heartbeat.${name}`);
    for (const prefix of [`${name}.`, `__debezium-heartbeat.${name}`]) await deleteRegistrySubjectsStartingWith(stack.PAYSYNC_TEST_REGISTRY_URL, prefix);
    const admin = kafka.admin();
    await admin.connect();
    try {
      // Connect names a sink's consumer group connect-<connector>.
      await admin.deleteGroups([`connect-${name}-sink`]).catch(() => undefined);
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
    writeFileSync(
      join(dir, 'worker.properties'),
      properties({
        'bootstrap.servers': stack.PAYSYNC_TEST_KAFKA_BROKERS,
        ...converters(format),
        'offset.storage.file.filename': join(dir, 'connect.offsets'),
        // Debezium confirms a WAL position to the slot when Connect flushes offsets (default every 60 s).
        'offset.flush.interval.ms': 10_000,
        'plugin.path': join(PEERS_CACHE, 'plugins'),
        listeners: restUrl,
      }),
    );
    writeFileSync(
      join(dir, 'source.properties'),
      properties({
        name: `${name}-source`,
        'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
        'tasks.max': 1,
        'database.hostname': pg.hostname,
        'database.port': pg.port,
        'database.user': decodeURIComponent(pg.username),
        'database.password': decodeURIComponent(pg.password),
        'database.dbname': source.name,
        'topic.prefix': name,
        'plugin.name': 'pgoutput',
        'slot.name': slot,
        'publication.name': `${slot}_pub`,
        'publication.autocreate.mode': 'filtered',
        'table.include.list': PAYMENTS_TABLES.join(','),
        // The target starts as a copy, as for pgstream: stream only.
        'snapshot.mode': 'no_data',
        // Lets the slot's confirmed position move on when only other tables change (Debezium's advice for PostgreSQL).
        'heartbeat.interval.ms': 1000,
      }),
    );
    writeFileSync(
      join(dir, 'sink.properties'),
      properties({
        name: `${name}-sink`,
        'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
        'tasks.max': 3,
        topics: topics.join(','),
        'connection.url': `jdbc:postgresql://${pg.hostname}:${pg.port}/${target.name}`,
        'connection.username': decodeURIComponent(pg.username),
        'connection.password': decodeURIComponent(pg.password),
        'insert.mode': 'upsert',
        'delete.enabled': 'true',
        'primary.key.mode': 'record_key',
        'schema.evolution': 'none',
        // <prefix>.public.ledger -> table ledger (in the target's public schema)
        transforms: 'table',
        'transforms.table.type': 'org.apache.kafka.connect.transforms.RegexRouter',
        'transforms.table.regex': '.*\\.([^.]+)$',
        'transforms.table.replacement': '$1',
        'collection.name.format': '${topic}',
      }),
    );
    writeFileSync(
      join(dir, 'log4j.properties'),
      'log4j.rootLogger=INFO, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\nlog4j.appender.stdout.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n',
    );
    connect = startPeer(
      javaBinary(),
      [
        '-Xms256m', '-Xmx1g', '-XX:+UseG1GC',
        `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
        '-cp', `${join(PEERS_CACHE, 'connect')}/*`,
        'org.apache.kafka.connect.cli.ConnectStandalone', join(dir, 'worker.properties'), join(dir, 'source.properties'), join(dir, 'sink.properties'),
      ],
      join(dir, 'connect.log'),
      dir,
    );
    const started = connect;
    // A failed task does not end the worker: its REST status is watched beside the process.
    void (async () => {
      while (watching && failure === undefined) {
        failure = (await connectFailure(restUrl, `${name}-source`)) ?? (await connectFailure(restUrl, `${name}-sink`));
        await sleep(1000);
      }
    })().catch((err: unknown) => (failure = `status unreadable: ${String(err)}`));
    const alive = (): void => {
      failIfPeerExited('Kafka Connect', started);
      if (failure) throw new Error(`Kafka Connect: ${failure}`);
    };
    return {
      version: `Debezium ${debeziumVersion()} PostgreSQL connector (pgoutput) + JDBC sink (upsert, key from record key, deletes on, 3 tasks) on Kafka Connect 3.9.1 standalone, ${format === 'avro' ? "Apicurio's AvroConverter 2.6.13 with the stack's registry" : 'JsonConverter with schemas'}, 3 partitions per table`,
      ...(await measurePeer(format === 'avro' ? 'debezium' : 'debezium-json', source, target, slot, alive)),
    };
  } catch (err) {
    throw withLog(err, join(dir, 'connect.log'));
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
