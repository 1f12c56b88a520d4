import type { ComparedTable } from '../../../demo/compare-rows';
import { ensureTopics, partitionOffsets, topicConfig } from '@paysync/kafka';
import { applyEnv, tableDifferences } from '../../support/applied-targets';
import { CaptureFixture } from '../../support/capture-fixture';
import { uniqueName } from '../../support/fixtures';
import { httpAddressOf, sampleValue, scrapeMetrics } from '../../support/metrics-scrape';
import { startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import { createScratchPostgresTarget, type ScratchTarget } from '../../support/target-databases';
import { setTopicConfig } from '../../support/topic-admin';
import { readTopic, topicRecordCount, type ReadRecord } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';

jest.setTimeout(300_000);

const ACCOUNTS: ComparedTable = { name: 'public.accounts', key: 'id', columns: { id: 'int', balance: 'numeric', note: 'text' } };
/** A table whose topic existed before capture, with the broker's delete policy. */
const LEGACY = 'public.legacy';
const ROWS = 200;

/**
 * Table topics are compacted (docs/backups.md): after Kafka's cleaner has removed every key's
 * older records and the deleted keys' records, a replay from earliest into an empty database
 * still builds the source's current rows, reading across the offsets compaction left empty, and a
 * truncate still removes the rows it removed on the source. A replica made before the deletes
 * catches up from the tombstones alone (the cleaner removed the delete events they supersede).
 */
describe('replay of a compacted table topic', () => {
  let source: CaptureFixture;
  let capture: PaysyncProcess;
  let target: ScratchTarget | undefined;
  let behind: ScratchTarget | undefined;
  /** A replay from earliest of the accounts topic into the target (its own group each time), in small fetches; its exit code. */
  const replayInto = (into: ScratchTarget) =>
    startPaysync('replay', applyEnv(source, into, uniqueName('paysync-replay'), [ACCOUNTS.name], { PAYSYNC_REPLAY_FROM: 'earliest', PAYSYNC_FETCH_MAX_BYTES_PER_PARTITION: '16384' })).exited;

  beforeAll(async () => {
    source = await CaptureFixture.create([
      `CREATE TABLE ${ACCOUNTS.name} (id bigint PRIMARY KEY, balance numeric(20,2) NOT NULL, note text)`,
      `CREATE TABLE ${LEGACY} (id bigint PRIMARY KEY)`,
    ]);
    await ensureTopics(source.kafka, [{ topic: source.topic(LEGACY), numPartitions: 1 }]);
    capture = await source.startCaptureStreaming([ACCOUNTS.name, LEGACY], { PAYSYNC_TOPIC_PARTITIONS: '1', PAYSYNC_TOPIC_DELETE_RETENTION_MS: '1234', PAYSYNC_TOPIC_MIN_COMPACTION_LAG_MS: '5678' });
  });
  afterAll(async () => {
    await target?.drop();
    await behind?.drop();
    await source?.cleanup();
  });

  it('creates table topics compacted, warns about a topic that deletes history, and replays a compacted topic (updates, deletes, a truncate) into an equal replica', async () => {
    const topic = source.topic(ACCOUNTS.name);
    const pool = source.db.pool;
    // Rows a truncate removed: compaction keeps their inserts (nothing newer has their keys) and the truncate.
    await pool.query(`INSERT INTO ${ACCOUNTS.name} SELECT g, 1.00, 'truncated' FROM generate_series(1001, 1050) g`);
    await pool.query(`TRUNCATE ${ACCOUNTS.name}`);
    await pool.query(`INSERT INTO ${ACCOUNTS.name} SELECT g, 100.00, 'new' FROM generate_series(1, ${ROWS}) g`);
    for (let round = 1; round <= 4; round++) await pool.query(`UPDATE ${ACCOUNTS.name} SET balance = balance + ${round}.01, note = 'round ${round}'`);
    // A replica made before the deletes: later it catches up from a log where only their tombstones are left.
    await source.waitCaughtUp(capture);
    behind = await createScratchPostgresTarget();
    expect(await replayInto(behind)).toBe(0);
    await pool.query(`DELETE FROM ${ACCOUNTS.name} WHERE id % 5 = 0`);
    await pool.query(`INSERT INTO ${LEGACY} VALUES (1)`);
    await source.waitCaughtUp(capture);

    const created = await topicConfig(source.kafka, topic);
    expect([created.get('cleanup.policy'), created.get('delete.retention.ms'), created.get('min.compaction.lag.ms')]).toEqual(['compact', '1234', '5678']);
    expect(capture.output()).toContain(`table topic ${source.topic(LEGACY)} loses history: cleanup.policy=delete`);
    const samples = await scrapeMetrics(httpAddressOf(capture, 'capture health server listening'));
    expect(sampleValue(samples, 'paysync_capture_topic_loses_history', { topic: source.topic(LEGACY) })).toBe(1);
    expect(sampleValue(samples, 'paysync_capture_topic_loses_history', { topic })).toBe(0);

    // alterConfigs replaces every override of the topic. Small segments and no lag: the cleaner
    // compacts every segment but the one being written; tombstones are kept (delete.retention.ms).
    const produced = await topicRecordCount(source.kafka, topic);
    await setTopicConfig(source.kafka, topic, { 'cleanup.policy': 'compact', 'segment.ms': '100', 'min.cleanable.dirty.ratio': '0.01', 'min.compaction.lag.ms': '0' });
    let tick = 0;
    let held: ReadRecord[] = [];
    await waitUntil(
      () => `the cleaner to compact ${topic}: ${held.length} of ${produced} records still held, ${held.filter((r) => r.value?.op === 'd').length} delete events`,
      async () => {
        // One partition: each write rolls its segment (older than segment.ms), so the one written before can be cleaned.
        await pool.query(`UPDATE ${ACCOUNTS.name} SET note = 'tick ${++tick}' WHERE id = 1`);
        held = await readTopic(source.kafka, topic);
        return held.length < produced / 3 && !held.some((r) => r.value?.op === 'd');
      },
      180_000,
      1000,
    );
    // What is left of the deletes: their tombstones, which carry the delete's version.
    expect(held.filter((r) => r.value === null)).toHaveLength(ROWS / 5);
    await source.waitCaughtUp(capture);
    const ends = await partitionOffsets(source.kafka, topic);
    expect(held.length).toBeLessThan(ends.reduce((sum, p) => sum + Number(p.high - p.low), 0) / 2);

    target = await createScratchPostgresTarget();
    expect(await replayInto(target)).toBe(0);
    expect(await tableDifferences(source, target, ACCOUNTS)).toEqual([]);
    const [{ count }] = await target.query(`SELECT count(*) AS count FROM ${ACCOUNTS.name}`);
    expect(Number(count)).toBe(ROWS - ROWS / 5);
    // The replica from before the deletes: the tombstones delete its rows.
    expect(await replayInto(behind)).toBe(0);
    expect(await tableDifferences(source, behind, ACCOUNTS)).toEqual([]);
  });
});
