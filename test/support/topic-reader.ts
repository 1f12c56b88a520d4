import { RegistrySerde, type ChangeEnvelope } from '@paysync/contract';
import type { Kafka, KafkaMessage } from '@paysync/kafka';
import { SchemaRegistryClient } from '@paysync/registry';
import { stackAddresses } from './stack-addresses';
import { readToEnd } from './topic-end-reader';

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
  /** The producer that wrote its record batch: id and epoch (a newer epoch of a transactional id fences the older). */
  producer: { id: string; epoch: number };
}

/** kafkajs keeps the record batch header beside each message without typing it. */
function producerOf(message: KafkaMessage): RawRecord['producer'] {
  const context = (message as KafkaMessage & { batchContext?: { producerId?: string; producerEpoch?: number } }).batchContext;
  return { id: String(context?.producerId ?? '-1'), epoch: context?.producerEpoch ?? -1 };
}

/** Reads every record of the topic present when called, as bytes. */
export async function readRawTopic(kafka: Kafka, topic: string): Promise<RawRecord[]> {
  const records: RawRecord[] = [];
  await readToEnd(kafka, topic, (partition, message) => {
    const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
    records.push({ partition, offset: message.offset, key: message.key, value: message.value, headers, producer: producerOf(message) });
  });
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
