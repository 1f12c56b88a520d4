import { PAYMENTS_DDL, PAYMENTS_TABLES, PaymentsWorkload } from '../../../demo/payments-workload';
import { CaptureFixture } from '../../support/capture-fixture';
import { uniqueName, withDatabase } from '../../support/fixtures';
import { sampleValue, scrapeMetrics } from '../../support/metrics-scrape';
import { startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import { startPushgateway, type PrivatePushgateway } from '../../support/private-pushgateway';
import { stackAddresses } from '../../support/stack-addresses';
import { createScratchMysqlTarget, type ScratchTarget } from '../../support/target-databases';
import { deleteRecordsBefore, setTopicConfig } from '../../support/topic-admin';
import { readRawTopic, topicRecordCount } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';

jest.setTimeout(420_000);

/** A table of its own for the incomplete-topics case: inserts only, so a deleted record is a row the topics lack. */
const ENTRIES = 'public.drill_entries';

/**
 * `paysync drill` against the payments pipeline: capture streams the source into the topics while
 * the payments load runs; each drill rebuilds the tables from the topics alone into a scratch
 * database and reconciles it with the source.
 */
describe('paysync drill', () => {
  let source: CaptureFixture;
  let workload: PaymentsWorkload;
  let gateway: PrivatePushgateway;
  const scratch: ScratchTarget[] = [];

  const drill = (targetUrl: string, tables: string[], extra: Record<string, string> = {}) =>
    startPaysync('drill', {
      PAYSYNC_SOURCE_URL: source.db.url,
      PAYSYNC_TARGET_URL: targetUrl,
      PAYSYNC_TABLES: tables.join(','),
      PAYSYNC_GROUP_ID: uniqueName('paysync-drill'),
      PAYSYNC_SLOT: source.slot,
      PAYSYNC_KAFKA_BROKERS: stackAddresses().PAYSYNC_TEST_KAFKA_BROKERS,
      PAYSYNC_SCHEMA_REGISTRY_URL: stackAddresses().PAYSYNC_TEST_REGISTRY_URL,
      PAYSYNC_TOPIC_PREFIX: source.prefix,
      PAYSYNC_DRILL_PUSHGATEWAY_URL: gateway.url,
      ...extra,
    });
  /** The drill's exit code, and its output with it when it is not the one expected. */
  const exitOf = async (run: PaysyncProcess, expected: number) => {
    const code = await run.exited;
    return code === expected ? code : `${code}; output:\n${run.output().slice(-6000)}`;
  };
  const pushed = async (name: string) => sampleValue(await scrapeMetrics(gateway.url), name, { job: 'paysync_drill', prefix: source.prefix });

  beforeAll(async () => {
    gateway = await startPushgateway();
    source = await CaptureFixture.create([...PAYMENTS_DDL, `CREATE TABLE ${ENTRIES} (id bigint PRIMARY KEY, memo text NOT NULL)`]);
    await source.db.pool.query(`INSERT INTO ${ENTRIES} SELECT g, 'entry ' || g FROM generate_series(1, 60) g`);
    await source.startCaptureStreaming([...PAYMENTS_TABLES, ENTRIES]);
    workload = new PaymentsWorkload(source.db.pool);
    workload.start(1);
    await waitUntil('some payments to be written', () => workload.transactions >= 200, 120_000);
  });
  afterAll(async () => {
    await workload?.stop();
    for (const target of scratch) await target.drop();
    await source?.cleanup();
    await gateway?.stop();
  });

  it('rebuilds the payments tables under load into a PostgreSQL database it creates and drops, finds them equal, and pushes its metrics', async () => {
    const startedAt = Date.now() / 1000;
    const name = uniqueName('paysync_drill');
    const run = drill(withDatabase(stackAddresses().PAYSYNC_TEST_PG_URL, name), PAYMENTS_TABLES, { PAYSYNC_DRILL_CREATE_DATABASE: 'true' });
    expect(await exitOf(run, 0)).toBe(0);
    const report = run.output();
    expect(report).toMatch(/rebuilt from the topics in [\d.]+ s \(RTO\): [\d,]+ records read, [\d,]+ rows written \([\d,]+ rows\/s\), 0 dead letters/);
    expect(report).toMatch(/lag at the end: [\d,]+ records behind the topics' end/);
    for (const table of PAYMENTS_TABLES) expect(report).toMatch(new RegExp(`${table}: [\\d,]+ rows compared: no drift`));
    expect(report).toContain('drill passed: the replica rebuilt from the topics equals the source');
    const { rows } = await source.db.pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    expect(rows).toEqual([]);
    expect(await pushed('paysync_drill_passed')).toBe(1);
    expect(await pushed('paysync_drill_last_success_timestamp_seconds')).toBeGreaterThanOrEqual(startedAt);
    expect(await pushed('paysync_drill_rebuild_seconds')).toBeGreaterThan(0);
    expect(await pushed('paysync_drill_overdue_after_seconds')).toBe(8 * 86_400);
  });

  it('ends on SIGTERM while it works, and drops the database it created', async () => {
    const name = uniqueName('paysync_drill');
    const run = drill(withDatabase(stackAddresses().PAYSYNC_TEST_PG_URL, name), PAYMENTS_TABLES, { PAYSYNC_DRILL_CREATE_DATABASE: 'true' });
    const created = async () => (await source.db.pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
    await waitUntil(() => `the drill to create ${name}; output:\n${run.output().slice(-3000)}`, created, 60_000, 20);
    run.kill('SIGTERM');
    expect(await exitOf(run, 1)).toBe(1);
    expect(run.output()).toContain('paysync drill: stopped by a signal before it finished');
    expect(await created()).toBe(false);
  });

  it('rebuilds into an existing empty MariaDB database, and refuses one that is not empty', async () => {
    const target = await createScratchMysqlTarget();
    scratch.push(target);
    const first = drill(target.url, PAYMENTS_TABLES);
    expect(await exitOf(first, 0)).toBe(0);
    expect(first.output()).toContain('drill passed');
    const again = drill(target.url, PAYMENTS_TABLES);
    expect(await exitOf(again, 2)).toBe(2);
    expect(again.output()).toMatch(/PAYSYNC_TARGET_URL.*database \S+ is not empty \(accounts/s);
  });

  it('fails with the missing keys when records were deleted from the start of a partition, and keeps the last success pushed', async () => {
    const topic = source.topic(ENTRIES);
    await waitUntil(`the snapshot of ${ENTRIES} in ${topic}`, async () => (await topicRecordCount(source.kafka, topic)) >= 60, 120_000);
    // The first five records of partition 0: snapshot copies of five rows never changed since.
    const offsets = (await readRawTopic(source.kafka, topic)).filter((r) => r.partition === 0).map((r) => BigInt(r.offset));
    expect(offsets.length).toBeGreaterThan(5);
    // Kafka deletes records only of a topic with the delete policy: as retention on such a topic would have.
    await setTopicConfig(source.kafka, topic, { 'cleanup.policy': 'delete' });
    await deleteRecordsBefore(source.kafka, topic, 0, offsets[4] + 1n);
    const lastSuccess = await pushed('paysync_drill_last_success_timestamp_seconds');
    const target = await createScratchMysqlTarget();
    scratch.push(target);
    const run = drill(target.url, [ENTRIES]);
    expect(await exitOf(run, 3)).toBe(3);
    const report = run.output();
    expect(report.match(/^ {2}missing: \{"id":"?\d+"?\}$/gm)).toHaveLength(5);
    expect(report).not.toMatch(/^ {2}(extra|different): /m);
    expect(report).toMatch(new RegExp(`${ENTRIES}: [\\d,]+ rows compared: 5 drifted`));
    expect(report).toContain('drill FAILED: 5 rows differ from the source');
    expect(await pushed('paysync_drill_passed')).toBe(0);
    expect(await pushed('paysync_drill_last_success_timestamp_seconds')).toBe(lastSuccess);
  });
});
