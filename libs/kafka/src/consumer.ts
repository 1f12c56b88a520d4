import type { Consumer, ConsumerEndBatchProcessEvent, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';

export type { Consumer, ConsumerEndBatchProcessEvent, EachBatchPayload, KafkaMessage };

export interface ConsumerOptions {
  groupId: string;
  /** Bytes fetched per partition per request; bounds what a consumer holds in memory. */
  maxBytesPerPartition?: number;
}

/**
 * How long the broker holds a fetch that found nothing new. A fetch with records returns at once
 * whatever this is; but a stop waits for the fetch in flight, so kafkajs's 5 s made every replay
 * (and every apply shutdown) wait up to 5 s after its last record. 500 ms is the Java consumer's
 * default (fetch.max.wait.ms).
 */
const FETCH_MAX_WAIT_MS = 500;

/** A consumer that never commits offsets by itself: the caller commits after its own durable write. */
export function createConsumer(kafka: Kafka, options: ConsumerOptions): Consumer {
  return kafka.consumer({
    groupId: options.groupId,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 1024 * 1024,
    maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    allowAutoTopicCreation: false,
    readUncommitted: false,
  });
}
