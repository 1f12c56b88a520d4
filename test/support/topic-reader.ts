import { RegistrySerde, type ChangeEnvelope } from '@paysync/contract';
import { createConsumer, partitionOffsets, type Kafka } from '@paysync/kafka';
import { SchemaRegistryClient } from '@paysync/registry';
import { uniqueName } from './fixtures';
import { stackAddresses } from './stack-addresses';

export interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Record<string, unknown> | null;
  /** null for a tombstone. */
  value: ChangeEnvelope | null;
}

/** Counted by reading the topic: Kafka's transaction markers take offsets too (see there). */
export { topicRecordCount } from './topic-end-reader';

export interface RawRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Reads every record of the topic present when called, as bytes. */
export async function readRawTopic(kafka: Kafka, topic: string): Promise<RawRecord[]> {
  const highs = await partitionOffsets(kafka, topic);
  const pending = new Map(highs.filter((p) => p.high > 0n).map((p) => [p.partition, p.high]));
  if (pending.size === 0) return [];
  const consumer = createConsumer(kafka, { groupId: uniqueName('paysync-test-reader'), maxBytesPerPartition: 8 * 1024 * 1024 });
  const records: RawRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              const high = pending.get(batch.partition);
              if (high === undefined || BigInt(message.offset) >= high) continue;
              const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
              records.push({ partition: batch.partition, offset: message.offset, key: message.key, value: message.value, headers });
              if (BigInt(message.offset) + 1n >= high) pending.delete(batch.partition);
            }
            if (pending.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Reads every record of the topic present when called, decoded through the real registry. */
export async function readTopic(kafka: Kafka, topic: string): Promise<ReadRecord[]> {
  const serde = new RegistrySerde(new SchemaRegistryClient(stackAddresses().PAYSYNC_TEST_REGISTRY_URL));
  const records: ReadRecord[] = [];
  for (const raw of await readRawTopic(kafka, topic)) {
    const key = raw.key ? (await serde.decode<Record<string, unknown>>(raw.key)).value : null;
    const value = raw.value ? (await serde.decode<ChangeEnvelope>(raw.value)).value : null;
    records.push({ topic, partition: raw.partition, offset: raw.offset, key, value });
  }
  return records;
}

/** Version order of the event contract: (source.lsn, source.seq). */
export function compareVersion(a: ChangeEnvelope, b: ChangeEnvelope): number {
  if (a.source.lsn !== b.source.lsn) return a.source.lsn < b.source.lsn ? -1 : 1;
  if (a.source.seq !== b.source.seq) return a.source.seq < b.source.seq ? -1 : 1;
  return 0;
}

/** The newest event per key (by version), tombstones ignored: what an idempotent apply ends with. */
export function newestByKey(records: ReadRecord[], keyOf: (r: ReadRecord) => string): Map<string, ChangeEnvelope> {
  const newest = new Map<string, ChangeEnvelope>();
  for (const record of records) {
    if (!record.value || record.value.op === 't') continue;
    const key = keyOf(record);
    const known = newest.get(key);
    if (!known || compareVersion(record.value, known) > 0) newest.set(key, record.value);
  }
  return newest;
}
