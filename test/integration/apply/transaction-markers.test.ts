import { transactionTopicName } from '@paysync/contract';
import { createIdempotentProducer, ensureTopics, partitionOffsets, type Message, type Producer } from '@paysync/kafka';
import type { ComparedTable } from '../../../demo/compare-rows';
import { deleteRegistrySubjectsStartingWith } from '../../../demo/stack-cleanup';
import { PipelineFence } from '../../../services/reconciler/src/compare/pipeline-fence';
import { readAppliedOffsets } from '../../../services/reconciler/src/sides/applied-offsets';
import { openSide } from '../../../services/reconciler/src/sides/open-side';
import type { SqlRunner } from '../../../services/reconciler/src/sides/sql-side';
import { applyEnv, tableDifferences } from '../../support/applied-targets';
import { CaptureFixture } from '../../support/capture-fixture';
import { ChangeRecords, sourceCommitMarker, type EncodedRecord } from '../../support/change-records';
import { uniqueName } from '../../support/fixtures';
import { httpAddressOf, scrapeMetrics } from '../../support/metrics-scrape';
import { exitedByItself, killAll, startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import { stackAddresses } from '../../support/stack-addresses';
import { topicRecordCount } from '../../support/topic-reader';
import { createScratchMysqlTarget, createScratchPostgresTarget, type ScratchTarget } from '../../support/target-databases';
import { sleep, waitUntil } from '../../support/wait';

jest.setTimeout(300_000);

const TABLE = 'public.items';
const COMPARED: ComparedTable = { name: TABLE, key: 'id', columns: { id: 'int', name: 'text', qty: 'int' } };
/** Committed changes go to partitions 0 to 2 (id % 3); partition 3 only ever holds aborted records. */
const PARTITIONS = 4;
/** Aborted changes are newer than every committed one: applied, they would win over it. */
const ABORTED_LSN = 1_000_000_000n;
/** Aborted on every partition of both topics: an update, deletes of rows that stay, a row that never was. */
const POISON = [1, 2, 999, 4];

type Op = { id: number; name: string; qty: number } | { id: number; deleted: true };
interface Sent {
  topic: string;
  message: Message;
}

/**
 * Writes source transactions, as capture's records, to a table topic and the transaction topic
 * through a Kafka transactional producer (so Kafka puts a commit or abort marker after each of
 * its transactions), and keeps the rows the committed ones leave.
 */
class TransactionalWriter {
  readonly rows = new Map<number, { name: string; qty: number }>();
  /** Records committed, by topic. */
  readonly committed = new Map<string, number>();
  private lsn = 1000n;
  private abortedLsn = ABORTED_LSN;

  constructor(
    private readonly producer: Producer,
    private readonly records: ChangeRecords,
    private readonly transactionTopic: string,
  ) {}

  /** The records of a committed source transaction, in order; the rows it leaves are kept. */
  sourceTransaction(ops: Op[]): Sent[] {
    for (const op of ops) {
      if ('deleted' in op) this.rows.delete(op.id);
      else this.rows.set(op.id, { name: op.name, qty: op.qty });
    }
    return this.recordsOf(ops, this.lsn++, (op) => op.id % 3);
  }

  /** One Kafka transaction, committed or aborted. */
  async send(sent: Sent[], commit = true): Promise<void> {
    const transaction = await this.producer.transaction();
    try {
      for (const { topic, message } of sent) await transaction.send({ topic, messages: [message], acks: -1 });
      await (commit ? transaction.commit() : transaction.abort());
      for (const { topic } of commit ? sent : []) this.committed.set(topic, (this.committed.get(topic) ?? 0) + 1);
    } catch (err) {
      await transaction.abort().catch(() => undefined);
      throw err;
    }
  }

  /** Each record in a Kafka transaction of its own: a Kafka marker after every one. */
  async sendOneByOne(sent: Sent[]): Promise<void> {
    for (const record of sent) await this.send([record]);
  }

  /** POISON (with a source commit marker) in a Kafka transaction that is aborted. */
  async abort(): Promise<void> {
    const ops: Op[] = POISON.map((id, i) => (i % 2 === 0 ? { id, name: 'ABORTED', qty: -1 } : { id, deleted: true }));
    await this.send(this.recordsOf(ops, this.abortedLsn++, (_op, i) => i % PARTITIONS), false);
  }

  /** As capture writes them: each change to the table topic (a delete with its tombstone) and to the transaction topic, then the marker. */
  private recordsOf(ops: Op[], lsn: bigint, partitionOf: (op: Op, index: number) => number): Sent[] {
    const table = (record: EncodedRecord, op: Op, index: number): Sent => ({ topic: this.records.topic, message: { ...record, partition: partitionOf(op, index) } });
    const inOrder = (record: EncodedRecord): Sent => ({ topic: this.transactionTopic, message: { ...record, partition: 0 } });
    const sent = ops.flatMap((op, i): Sent[] => {
      if ('deleted' in op) {
        const { event, tombstone } = this.records.delete({ id: String(op.id) }, lsn, BigInt(i));
        return [table(event, op, i), table(tombstone, op, i), inOrder(event)];
      }
      const change = this.records.upsert({ id: String(op.id), name: op.name, qty: String(op.qty) }, lsn, BigInt(i));
      return [table(change, op, i), inOrder(change)];
    });
    return [...sent, inOrder(sourceCommitMarker(lsn))];
  }
}

interface Applied {
  name: string;
  mode: 'parallel' | 'transactional';
  db: ScratchTarget;
  runner: SqlRunner;
  groupId: string;
  topic: string;
  apply: PaysyncProcess;
}

/** Kafka transactions in and between source transactions, some aborted: apply ends where the topics end, nothing aborted applied. */
describe('apply of topics a Kafka transactional producer writes', () => {
  let source: CaptureFixture;
  let producer: Producer;
  let writer: TransactionalWriter;
  const applied: Applied[] = [];
  const processes: PaysyncProcess[] = [];

  beforeAll(async () => {
    source = await CaptureFixture.create([`CREATE TABLE ${TABLE} (id int PRIMARY KEY, name text NOT NULL, qty int NOT NULL)`]);
    const records = await ChangeRecords.of(source.db.pool, source.prefix, TABLE);
    const transactionTopic = transactionTopicName(source.prefix);
    await ensureTopics(source.kafka, [
      { topic: records.topic, numPartitions: PARTITIONS },
      { topic: transactionTopic, numPartitions: 1 },
    ]);
    producer = createIdempotentProducer(source.kafka, { transactionalId: uniqueName('paysync-test-txn') });
    await producer.connect();
    writer = new TransactionalWriter(producer, records, transactionTopic);
    const targets = [
      { name: 'postgres parallel', mode: 'parallel', db: await createScratchPostgresTarget() },
      { name: 'postgres transactional', mode: 'transactional', db: await createScratchPostgresTarget() },
      { name: 'mysql parallel', mode: 'parallel', db: await createScratchMysqlTarget() },
      { name: 'mysql transactional', mode: 'transactional', db: await createScratchMysqlTarget() },
    ] as const;
    for (const { name, mode, db } of targets) {
      const groupId = uniqueName('paysync-apply');
      // The smallest fetch: batches end, and markers fall, at more places.
      const apply = startPaysync('apply', applyEnv(source, db, groupId, [TABLE], { PAYSYNC_APPLY_MODE: mode, PAYSYNC_FETCH_MAX_BYTES_PER_PARTITION: '16384' }));
      processes.push(apply);
      const runner = openSide(db.url, 'target', () => ({ table: 'items' })).runner;
      applied.push({ name, mode, db, runner, groupId, topic: mode === 'parallel' ? records.topic : transactionTopic, apply });
    }
  });

  afterAll(async () => {
    await killAll(processes);
    await producer?.disconnect();
    for (const { db, runner } of applied) {
      await runner.close();
      await db.drop();
    }
    if (source) {
      await source.cleanup();
      await deleteRegistrySubjectsStartingWith(stackAddresses().PAYSYNC_TEST_REGISTRY_URL, `${source.prefix}.`);
    }
  });

  /** Each partition's stored offset and end offset, as "partition: stored/end". */
  async function offsets(target: Applied, groupId = target.groupId): Promise<{ stored: string[]; ends: string[] }> {
    const ends = await partitionOffsets(source.kafka, target.topic);
    const stored = await readAppliedOffsets(target.runner, groupId, [target.topic]);
    return {
      stored: ends.map((e) => `${e.partition}: ${stored.find((s) => s.partition === e.partition)?.nextOffset ?? 'none'}`),
      ends: ends.map((e) => `${e.partition}: ${e.high}`),
    };
  }

  async function waitAtEnds(phase: string): Promise<void> {
    for (const target of applied) {
      let last = { stored: [] as string[], ends: [] as string[] };
      await waitUntil(
        () => `${phase}: ${target.name} apply to store the end offsets ${last.ends.join(', ')} (stored ${last.stored.join(', ')}); apply said:\n${target.apply.output().slice(-3000)}`,
        async () => {
          last = await offsets(target);
          return last.stored.join() === last.ends.join();
        },
        120_000,
        250,
      );
    }
  }

  it('stores the end offsets (markers included), equals the source, passes the fence, reports lag 0, and replays to the end', async () => {
    for (const target of applied) await waitUntil(`${target.name} apply to run`, () => target.apply.logs().some((l) => l.msg === 'apply running'), 60_000);

    // Applies read while the producer writes: inserts, updates of two rows, deletes, a re-insert;
    // whole source transactions in one Kafka transaction, or each record in its own.
    const script: Op[][] = [];
    for (let id = 1; id <= 12; id++) script.push([{ id, name: `item ${id}`, qty: id }]);
    for (let id = 1; id <= 6; id++) script.push([{ id, name: `item ${id} v2`, qty: id * 10 }, { id: id + 6, name: `item ${id + 6} v2`, qty: id * 100 }]);
    script.push([{ id: 10, deleted: true }, { id: 11, deleted: true }], [{ id: 11, name: 'item 11 again', qty: 11 }]);
    for (const [i, ops] of script.entries()) {
      const sent = writer.sourceTransaction(ops);
      await (i % 2 === 0 ? writer.send(sent) : writer.sendOneByOne(sent));
      if (i % 3 === 0) await writer.abort();
      await sleep(20);
    }
    await waitAtEnds('after the script');

    // With apply idle: a source transaction split by an aborted Kafka transaction (transactional
    // mode holds it open meanwhile), then an aborted one last on every partition, met by fetches
    // of only markers and aborted records.
    const split = writer.sourceTransaction([{ id: 3, name: 'item 3 split', qty: 33 }, { id: 5, deleted: true }]);
    await writer.sendOneByOne(split.slice(0, 2));
    await sleep(1500);
    await writer.abort();
    await sleep(1500);
    await writer.sendOneByOne(split.slice(2));
    await sleep(1500);
    await writer.abort();
    await waitAtEnds('after the last, aborted, transaction');

    for (const [id, row] of writer.rows) await source.db.pool.query(`INSERT INTO ${TABLE} (id, name, qty) VALUES ($1, $2, $3)`, [id, row.name, row.qty]);
    expect(writer.rows.size).toBe(10);
    for (const [topic, count] of writer.committed) expect({ topic, count: await topicRecordCount(source.kafka, topic) }).toEqual({ topic, count });
    for (const target of applied) {
      const { stored, ends } = await offsets(target);
      expect({ target: target.name, stored }).toEqual({ target: target.name, stored: ends });
      expect(await tableDifferences(source, target.db, COMPARED)).toEqual([]);
      const rows = await target.db.rows(COMPARED);
      expect({ target: target.name, ghost: rows.has('999'), aborted: [...rows.values()].filter((v) => v.includes('ABORTED')) }).toEqual({ target: target.name, ghost: false, aborted: [] });
      const fence = new PipelineFence(source.db.pool, { apply: { kafka: source.kafka, groupId: target.groupId, topicPrefix: source.prefix, target: target.runner }, timeoutMs: 5000 });
      expect({ target: target.name, fence: await fence.pass(TABLE) }).toEqual({ target: target.name, fence: undefined });
      const lag = (await scrapeMetrics(httpAddressOf(target.apply, 'apply running'))).filter((l) => l.startsWith('paysync_apply_consumer_lag_records{'));
      expect({ target: target.name, lag: lag.map((l) => Number(l.split(' ').pop())) }).toEqual({ target: target.name, lag: ends.map(() => 0) });
      // No rewind: the gaps markers leave are not missing records.
      expect(target.apply.output()).not.toContain('records are missing');
    }

    // Replay of each mode, into the same targets under new groups, ends once it reached the end offsets.
    for (const target of applied.filter((t) => t.name.startsWith('postgres'))) {
      const groupId = `${target.groupId}-replay`;
      const replay = startPaysync('replay', applyEnv(source, target.db, groupId, [TABLE], { PAYSYNC_APPLY_MODE: target.mode }));
      processes.push(replay);
      const exit = await exitedByItself(replay, `${target.name} replay`, 60_000);
      expect({ target: target.name, exit, said: exit === 0 ? '' : replay.output().slice(-3000) }).toEqual({ target: target.name, exit: 0, said: '' });
      expect(replay.output()).toContain('replay caught up');
      const { stored, ends } = await offsets(target, groupId);
      expect({ target: target.name, stored }).toEqual({ target: target.name, stored: ends });
      expect(await tableDifferences(source, target.db, COMPARED)).toEqual([]);
    }
  });
});
