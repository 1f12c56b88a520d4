import { createConsumer, partitionOffsets, type Kafka, type KafkaMessage } from '@paysync/kafka';
import { uniqueName } from './fixtures';

/**
 * Reads the topic from its beginning up to each partition's end offset when called, handing over
 * every record below it. The end is told by a fetch's last offset, never by its last record: a
 * transactional producer's commit and abort markers (and its aborted records) take offsets that no
 * record is handed for, and a fetch of only those reaches the batch event alone, never eachBatch.
 */
export async function readToEnd(kafka: Kafka, topic: string, onRecord: (partition: number, message: KafkaMessage) => void): Promise<void> {
  const ends = new Map((await partitionOffsets(kafka, topic)).filter((p) => p.high > p.low).map((p) => [p.partition, p.high]));
  if (ends.size === 0) return;
  const consumer = createConsumer(kafka, { groupId: uniqueName('paysync-test-reader'), maxBytesPerPartition: 8 * 1024 * 1024 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const end = ends.get(payload.partition);
        if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) ends.delete(payload.partition);
        if (ends.size === 0) resolve();
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition);
            for (const message of batch.messages) if (end !== undefined && BigInt(message.offset) < end) onRecord(batch.partition, message);
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}

/** How many records the topic holds when called (nothing is compacted in tests): read, since offsets count Kafka's markers too. */
export async function topicRecordCount(kafka: Kafka, topic: string): Promise<number> {
  let count = 0;
  await readToEnd(kafka, topic, () => (count += 1));
  return count;
}
