import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTopics, partitionOffsets } from '@paysync/kafka';
import { deleteRegistrySubjectsStartingWith, deleteTopicsStartingWith } from '../../../demo/stack-cleanup';
import { ALL_TYPES_DDL, ALL_TYPES_ROWS, MORE_TYPES_DDL, MORE_TYPES_VALUES } from '../../support/all-types-table';
import { CaptureFixture } from '../../support/capture-fixture';
import { columnTextDifferences } from '../../support/column-text-diff';
import { debeziumPostgresSource, jdbcSink } from '../../support/debezium-connectors';
import { createScratchDatabase, uniqueName, type ScratchDatabase } from '../../support/fixtures';
import { connectorStatus, converters, fetchKafkaConnect, sinkConsumerGroup, startConnect, type ConnectWorker, type ConnectorSettings } from '../../support/kafka-connect';
import { readToEnd } from '../../support/topic-end-reader';
import { stackAddresses } from '../../support/stack-addresses';
import { waitUntil } from '../../support/wait';
import { EXPECTED, PIPELINES, PLAIN_URL_REFUSED, REFUSED, type Pipeline } from './jdbc-sink-expectations';

jest.setTimeout(300_000);

const TABLE = 'public.all_types';
const DDL = [...ALL_TYPES_DDL(TABLE), ...MORE_TYPES_DDL(TABLE)];
const fill = (id: number): string => `UPDATE ${TABLE} SET ${MORE_TYPES_VALUES[id]} WHERE id = ${id}`;
/** The last change of the test: once a sink has written it and committed its offset, it has written all. */
const LAST = 1000;
const UNSPECIFIED = 'stringtype=unspecified';
/** Few connections per sink: the test runs many sinks on the shared PostgreSQL server. */
const SMALL_POOL = { 'connection.pool.min_size': 1, 'connection.pool.max_size': 2, 'connection.pool.acquire_increment': 1 };

/** A sink of a pipeline: into `table` of one of its targets, all columns but `exclude`, or `only` (and the key). */
interface Sink {
  name: string;
  pipeline: Pipeline;
  target: 'utc' | 'newYork';
  table: string;
  urlOptions?: string;
  exclude?: string[];
  only?: string;
}

/**
 * Debezium's JDBC sink 3.0.7 (Kafka Connect 3.9.1, Apicurio's AvroConverter 2.6.13 reading
 * Confluent's wire format) writes paysync's topics of a table of every contract type into a
 * PostgreSQL table made with the source's DDL; beside it, Debezium's own PostgreSQL connector on
 * the same source and changes feeds the same sink into a second target. Each target is compared
 * with the source column by column, by PostgreSQL's text form of each value. The sinks run in a
 * worker in UTC and again in one in America/New_York (the sink's time zone matters); a sink of
 * one column alone shows why each column left out of the others cannot be carried.
 */
describe('compat: Debezium JDBC sink writes paysync topics (and Debezium topics) of every type into PostgreSQL', () => {
  let fixture: CaptureFixture;
  const targets = new Map<string, ScratchDatabase>();
  const workers: ConnectWorker[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'paysync-connect-'));
  // Underscores, not dashes: Debezium makes the topic prefix the namespace of its Avro schemas.
  const prefix = uniqueName('dbz');
  const topics: Record<Pipeline, string> = { paysync: '', debezium: `${prefix}.${TABLE}` };
  const sinks: Sink[] = PIPELINES.flatMap((pipeline) => [
    { name: `${prefix}-${pipeline}`, pipeline, target: 'utc' as const, table: 'all_types', urlOptions: UNSPECIFIED, exclude: Object.keys(REFUSED[pipeline]) },
    { name: `${prefix}-${pipeline}-ny`, pipeline, target: 'newYork' as const, table: 'all_types', urlOptions: UNSPECIFIED, exclude: Object.keys(REFUSED[pipeline]) },
    // With a plain connection URL, every column but those PgJDBC sends as character varying.
    { name: `${prefix}-${pipeline}-plain`, pipeline, target: 'utc' as const, table: 'plain', exclude: [...Object.keys(REFUSED[pipeline]), ...PLAIN_URL_REFUSED[pipeline]] },
    ...Object.keys(REFUSED[pipeline]).map((only) => ({ name: `${prefix}-${pipeline}-${only}`, pipeline, target: 'utc' as const, table: `only_${only}`, urlOptions: UNSPECIFIED, only })),
    ...PLAIN_URL_REFUSED[pipeline].map((only) => ({ name: `${prefix}-${pipeline}-plain-${only}`, pipeline, target: 'utc' as const, table: `plain_${only}`, only })),
  ]);
  const sinkNamed = (name: string): Sink => sinks.find((s) => s.name === `${prefix}-${name}`)!;
  const targetOf = (sink: Sink): ScratchDatabase => targets.get(`${sink.pipeline}-${sink.target}`)!;
  const workerOf = (sink: Sink): ConnectWorker => workers[sink.target === 'utc' ? 0 : 1];

  function connector(sink: Sink): ConnectorSettings {
    const fields: Record<string, string> = sink.only ? { 'field.include.list': `id,${sink.only}` } : { 'field.exclude.list': sink.exclude!.join(',') };
    return jdbcSink(
      { name: sink.name, database: targetOf(sink).name, topics: [topics[sink.pipeline]], urlOptions: sink.urlOptions },
      { ...fields, ...SMALL_POOL, 'transforms.table.replacement': sink.table },
    );
  }

  /** Waits for `check` while the connector runs: its failure ends the wait at once. */
  async function whileRunning(worker: ConnectWorker, name: string, what: string, check: () => Promise<boolean>): Promise<void> {
    let failure: unknown;
    await waitUntil(`${name} ${what}`, async () => {
      try {
        worker.alive(name);
      } catch (err) {
        failure = err;
        return true;
      }
      return check();
    }, 120_000);
    if (failure) throw worker.explain(failure);
  }

  /** Waits until the sink wrote the last change and committed every record of its topic: its table is final. */
  async function sinkDone(sink: Sink): Promise<void> {
    const table = `public.${sink.table}`;
    await whileRunning(workerOf(sink), sink.name, 'to write the last change', async () => (await targetOf(sink).pool.query(`SELECT 1 FROM ${table} WHERE id = ${LAST}`)).rows.length > 0);
    let end = 0n;
    await readToEnd(fixture.kafka, topics[sink.pipeline], (_p, message) => (end = BigInt(message.offset) + 1n));
    const admin = fixture.kafka.admin();
    await admin.connect();
    try {
      await whileRunning(workerOf(sink), sink.name, `to commit offset ${end}`, async () => {
        const [committed] = await admin.fetchOffsets({ groupId: sinkConsumerGroup(sink.name), topics: [topics[sink.pipeline]] });
        return BigInt(committed.partitions[0].offset) >= end;
      });
    } finally {
      await admin.disconnect();
    }
  }

  /** The failure of the sink's task (its trace's last cause), once it failed. */
  async function taskFailure(sink: Sink): Promise<string> {
    let trace: string | undefined;
    await waitUntil(`${sink.name} to fail`, async () => {
      trace = (await connectorStatus(workerOf(sink).restUrl, sink.name))?.tasks.find((t) => t.state === 'FAILED')?.trace;
      return trace !== undefined;
    }, 120_000);
    return trace!.match(/Caused by: .*/g)?.at(-1) ?? trace!;
  }

  beforeAll(async () => {
    await fetchKafkaConnect();
    // Rows 1, 2, 5, 7 and 8 exist before either pipeline starts: each takes them in its snapshot.
    // 7 and 8 hold a memo stored out of line (TOAST), which a later update leaves unchanged.
    fixture = await CaptureFixture.create([
      ...DDL,
      `INSERT INTO ${TABLE} VALUES ${ALL_TYPES_ROWS.slice(0, 2).join(', ')}`,
      fill(1),
      fill(2),
      `INSERT INTO ${TABLE} (id, memo) VALUES (5, 'deleted later')`,
      `INSERT INTO ${TABLE} (id, num, memo) SELECT id, 0, (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 500) i) FROM (VALUES (7), (8)) v(id)`,
    ]);
    topics.paysync = fixture.topic(TABLE);
    for (const pipeline of PIPELINES) {
      for (const zone of ['utc', 'newYork'] as const) {
        const target = await createScratchDatabase(`jdbc_sink_${pipeline}`);
        targets.set(`${pipeline}-${zone}`, target);
        for (const statement of DDL) await target.pool.query(statement);
        for (const sink of sinks.filter((s) => s.pipeline === pipeline && s.target === zone && s.table !== 'all_types')) {
          await target.pool.query(`CREATE TABLE public.${sink.table} (LIKE ${TABLE} INCLUDING ALL)`);
        }
      }
    }
    // One partition each: the last change then comes after every other one in its topic.
    const capture = await fixture.startCaptureStreaming([TABLE], { PAYSYNC_TOPIC_PARTITIONS: '1' });
    await ensureTopics(fixture.kafka, [{ topic: topics.debezium, numPartitions: 1 }]);
    const slot = uniqueName('dbz_slot');
    const source = debeziumPostgresSource({ name: `${prefix}-source`, database: fixture.db.name, topicPrefix: prefix, slot, tables: [TABLE] });
    for (const [zone, timeZone] of [['utc', 'UTC'], ['newYork', 'America/New_York']] as const) {
      const workerDir = join(dir, zone);
      mkdirSync(workerDir);
      workers.push(
        await startConnect({
          dir: workerDir,
          converters: converters('avro-confluent'),
          jvmOptions: [`-Duser.timezone=${timeZone}`],
          // Sinks commit their offsets this often: sinkDone sees them soon.
          worker: { 'offset.flush.interval.ms': 1000 },
          connectors: [...(zone === 'utc' ? [source] : []), ...sinks.filter((s) => s.target === zone).map(connector)],
        }),
      );
    }
    // Each pipeline's snapshot done before the changes: either can wait on transactions running on
    // the server (other suites'), and the last change must come after every other one. paysync's
    // snapshot runs beside its stream; Debezium's slot is listed while it waits for a consistent
    // point, and a change committed before that is not decoded but reaches its snapshot alone (row 7
    // whole, not an update without its TOAST memo). Its five snapshot rows in its topic (one
    // partition, no transactions: the end offset counts records) mean every change from now on streams.
    await waitUntil('paysync snapshot of the table', () => capture.logs().some((l) => l.msg === 'snapshot of table done'), 120_000);
    await whileRunning(workers[0], source.name, 'to write its snapshot', async () => (await partitionOffsets(fixture.kafka, topics.debezium))[0].high >= 5n);
    for (const change of [
      `INSERT INTO ${TABLE} VALUES ${ALL_TYPES_ROWS.slice(2).join(', ')}`,
      fill(3),
      `UPDATE ${TABLE} SET amount = amount - 0.0001, memo = memo || ' ✓', span = span + interval '1 microsecond' WHERE id = 1`,
      `DELETE FROM ${TABLE} WHERE id = 5`,
      // A wall time New York skips (DST starts) and an instant it reads twice (DST ends).
      `INSERT INTO ${TABLE} (id, local_at, at) VALUES (6, '2024-03-10 02:30:00', '2024-11-03 06:30:00+00')`,
      `UPDATE ${TABLE} SET num = 1 WHERE id = 7`,
      `ALTER TABLE ${TABLE} REPLICA IDENTITY FULL`,
      `UPDATE ${TABLE} SET num = 1 WHERE id = 8`,
      `INSERT INTO ${TABLE} (id, memo) VALUES (${LAST}, 'the last change')`,
    ]) {
      await fixture.db.pool.query(change);
    }
    await fixture.waitCaughtUp(capture);
  }, 30 * 60_000);

  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    if (fixture) {
      const admin = fixture.kafka.admin();
      await admin.connect();
      try {
        await admin.deleteGroups(sinks.map((s) => sinkConsumerGroup(s.name))).catch(() => undefined);
      } finally {
        await admin.disconnect();
      }
      await deleteTopicsStartingWith(fixture.kafka, `${prefix}.`);
      // paysync's subjects go with the fixture, Debezium's here.
      await deleteRegistrySubjectsStartingWith(stackAddresses().PAYSYNC_TEST_REGISTRY_URL, `${prefix}.`);
    }
    for (const target of targets.values()) await target.drop();
    // Capture, paysync's topics and subjects, the source database with both slots and Debezium's publication.
    await fixture?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  describe.each(PIPELINES)("%s's topics", (pipeline) => {
    it.each(['utc', 'newYork'] as const)('equal the source but for the named columns (sink in %s, stringtype=unspecified)', async (zone) => {
      const sink = sinkNamed(zone === 'utc' ? pipeline : `${pipeline}-ny`);
      await sinkDone(sink);
      expect(await columnTextDifferences(fixture.db.pool, targetOf(sink).pool, TABLE, { ignore: sink.exclude })).toEqual(EXPECTED[pipeline][zone]);
    });

    it('equal the source as well with a plain connection URL, but for the columns PgJDBC then sends as character varying', async () => {
      const sink = sinkNamed(`${pipeline}-plain`);
      await sinkDone(sink);
      expect(await columnTextDifferences(fixture.db.pool, targetOf(sink).pool, TABLE, { targetTable: 'public.plain', ignore: sink.exclude })).toEqual(
        Object.fromEntries(Object.entries(EXPECTED[pipeline].utc).filter(([column]) => !sink.exclude!.includes(column))),
      );
      for (const column of PLAIN_URL_REFUSED[pipeline]) {
        const failure = await taskFailure(sinkNamed(`${pipeline}-plain-${column}`));
        expect(failure).toMatch(new RegExp(`column "${column}" is of type .* but expression is of type character varying`));
      }
    });

    it('cannot carry the columns left out: a sink of one of them alone fails', async () => {
      for (const [column, why] of Object.entries(REFUSED[pipeline])) {
        expect(await taskFailure(sinkNamed(`${pipeline}-${column}`))).toMatch(why);
      }
    });
  });
});
