import { readTableShape, rowFromPgText, type ChangeEnvelope, type Row, type TableShape } from '@paysync/contract';
import { deleteTopics, type Kafka } from '@paysync/kafka';
import { lsnToBigInt, qualifiedName } from '@paysync/postgres';
import { deleteRegistrySubjectsStartingWith } from '../../demo/stack-cleanup';
import { createScratchDatabase, testKafka, uniqueName, type ScratchDatabase } from './fixtures';
import { killAll, startPaysync, type PaysyncProcess } from './paysync-process';
import { stackAddresses } from './stack-addresses';
import { newestByKey, readTopic, type ReadRecord } from './topic-reader';
import { waitUntil } from './wait';

/** JSON with bigints and Buffers, for comparing keys and rows. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') return `hex:${Buffer.from((v as { data: number[] }).data).toString('hex')}`;
    return v;
  });
}

/**
 * A source database of the test's own plus everything a capture run needs (unique slot,
 * publication and topic prefix), and removal of all of it.
 */
export class CaptureFixture {
  readonly prefix = uniqueName('pst').replace(/_/g, '-');
  readonly slot = uniqueName('slot');
  readonly publication = uniqueName('pub');
  readonly kafka: Kafka;
  private readonly processes: PaysyncProcess[] = [];

  private constructor(
    readonly db: ScratchDatabase,
    /** The Kafka capture writes to (and apply reads from). */
    readonly kafkaBrokers: string,
  ) {
    this.kafka = testKafka(kafkaBrokers);
  }

  /**
   * `adminUrl`: the server to make the source on, when not the stack's (a private cluster);
   * `kafkaBrokers`: the Kafka capture writes to, when not the stack's (a private broker).
   */
  static async create(ddl: string[], adminUrl?: string, kafkaBrokers = stackAddresses().PAYSYNC_TEST_KAFKA_BROKERS): Promise<CaptureFixture> {
    const db = await createScratchDatabase('paysync_cap', adminUrl);
    for (const statement of ddl) await db.pool.query(statement);
    return new CaptureFixture(db, kafkaBrokers);
  }

  env(tables: string[], extra: Record<string, string> = {}): Record<string, string> {
    const stack = stackAddresses();
    return {
      PAYSYNC_SOURCE_URL: this.db.url,
      PAYSYNC_TABLES: tables.join(','),
      PAYSYNC_KAFKA_BROKERS: this.kafkaBrokers,
      PAYSYNC_SCHEMA_REGISTRY_URL: stack.PAYSYNC_TEST_REGISTRY_URL,
      PAYSYNC_TOPIC_PREFIX: this.prefix,
      PAYSYNC_SLOT: this.slot,
      PAYSYNC_PUBLICATION: this.publication,
      PAYSYNC_TOPIC_PARTITIONS: '3',
      PAYSYNC_HEARTBEAT_INTERVAL_MS: '500',
      // PAYSYNC_TEST_LOG_LEVEL=debug shows what a test's capture is doing.
      ...(process.env.PAYSYNC_TEST_LOG_LEVEL ? { PAYSYNC_LOG_LEVEL: process.env.PAYSYNC_TEST_LOG_LEVEL } : {}),
      ...extra,
    };
  }

  startCapture(tables: string[], extra: Record<string, string> = {}): PaysyncProcess {
    const process = startPaysync('capture', this.env(tables, extra));
    this.processes.push(process);
    return process;
  }

  /** Starts capture and resolves once its slot exists and it streams: later writes reach it through the WAL. */
  async startCaptureStreaming(tables: string[], extra: Record<string, string> = {}): Promise<PaysyncProcess> {
    const capture = this.startCapture(tables, extra);
    await waitUntil(
      () => `capture to stream; exit ${capture.child.exitCode ?? capture.child.signalCode}; output:\n${capture.output().slice(-3000)}`,
      () => capture.logs().some((l) => l.msg === 'capture streaming'),
      60_000,
      50,
    );
    return capture;
  }

  topic(table: string): string {
    return `${this.prefix}.${table}`;
  }

  /** Waits until the slot confirmed everything written so far: all of it is in Kafka. */
  async waitCaughtUp(capture: PaysyncProcess, timeoutMs = 120_000): Promise<void> {
    // The insert position, not pg_current_wal_lsn() (the write position): with synchronous_commit
    // off that can lie before the commit record of a transaction that already returned, and a
    // heartbeat confirmed between the two would end the wait before the transaction is captured.
    const { rows } = await this.db.pool.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn() AS lsn');
    const target = lsnToBigInt(rows[0].lsn);
    await waitUntil(
      () => `slot ${this.slot} to confirm ${rows[0].lsn}; capture exit: ${capture.child.exitCode ?? capture.child.signalCode ?? 'still running'}; output:\n${capture.output().slice(-3000)}`,
      async () => {
        const { rows: slot } = await this.db.pool.query<{ lsn: string | null }>('SELECT confirmed_flush_lsn AS lsn FROM pg_replication_slots WHERE slot_name = $1', [this.slot]);
        return slot[0]?.lsn != null && lsnToBigInt(slot[0].lsn) >= target;
      },
      timeoutMs,
    );
  }

  async shape(table: string): Promise<TableShape> {
    const [schema, name] = table.split('.');
    return readTableShape(this.db.pool, schema, name);
  }

  /** The source's rows, as the contract maps them, by key. */
  async sourceRows(table: string): Promise<Map<string, Row>> {
    const shape = await this.shape(table);
    const { rows } = await this.db.pool.query<Record<string, string | null>>(`SELECT * FROM ${qualifiedName(shape.schema, shape.table)}`);
    const keyShape = { ...shape, columns: shape.columns.filter((c) => shape.primaryKey.includes(c.name)) };
    return new Map(rows.map((raw) => [stableJson(rowFromPgText(keyShape, raw)), rowFromPgText(shape, raw)]));
  }

  /** Asserts the topic's newest event per key is exactly the source row (or a delete of a gone row). */
  async expectTopicEqualsSource(table: string): Promise<{ records: ReadRecord[]; newest: Map<string, ChangeEnvelope> }> {
    const records = await readTopic(this.kafka, this.topic(table));
    const newest = newestByKey(records, (r) => stableJson(r.key));
    const source = await this.sourceRows(table);
    const problems: string[] = [];
    for (const [key, row] of source) {
      const event = newest.get(key);
      if (!event) problems.push(`missing in Kafka: ${key}`);
      else if (event.op === 'd') problems.push(`Kafka says deleted, source has it: ${key}`);
      else if (stableJson(event.after) !== stableJson(row)) problems.push(`differs: ${key}\n  kafka:  ${stableJson(event.after)}\n  source: ${stableJson(row)}`);
    }
    for (const [key, event] of newest) {
      if (event.op !== 'd' && !source.has(key)) problems.push(`in Kafka, not in source (delete lost?): ${key}`);
    }
    expect(problems.slice(0, 20)).toEqual([]);
    return { records, newest };
  }

  async cleanup(): Promise<void> {
    await killAll(this.processes);
    const admin = this.kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${this.prefix}.`));
    await admin.disconnect();
    await deleteTopics(this.kafka, topics);
    await deleteRegistrySubjectsStartingWith(stackAddresses().PAYSYNC_TEST_REGISTRY_URL, `${this.prefix}.`);
    await this.db.drop();
  }
}
