import type { Kafka } from '@paysync/kafka';
import { readRawTopic } from '../../../support/topic-reader';

/** Who wrote what is on the topics: committed records per producer ("id/epoch"), and fencing breaches. */
export interface TopicProducers {
  counts: Map<string, number>;
  /** "topic partition@offset": a record of an older epoch of a producer id after one of a newer epoch. */
  afterFencing: string[];
}

/**
 * Reads the topics as an apply does (read_committed: an aborted transaction's records are not
 * there). A replica's transactional id is the slot's, so a takeover bumps the epoch: in any
 * partition, once a record of the new epoch is there, one of an older epoch means Kafka let a
 * fenced replica write.
 */
export async function topicProducers(kafka: Kafka, topics: string[]): Promise<TopicProducers> {
  const counts = new Map<string, number>();
  const afterFencing: string[] = [];
  for (const topic of topics) {
    const newestEpoch = new Map<string, number>(); // by partition and producer id
    const records = (await readRawTopic(kafka, topic)).sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
    for (const { partition, offset, producer } of records) {
      const name = `${producer.id}/${producer.epoch}`;
      counts.set(name, (counts.get(name) ?? 0) + 1);
      const key = `${partition} ${producer.id}`;
      if (producer.epoch < (newestEpoch.get(key) ?? -1)) afterFencing.push(`${topic} ${partition}@${offset} (${name} after epoch ${newestEpoch.get(key)})`);
      else newestEpoch.set(key, producer.epoch);
    }
  }
  return { counts, afterFencing };
}
