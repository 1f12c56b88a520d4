import type { Consumer, ConsumerEndBatchProcessEvent, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';

export type { Consumer, ConsumerEndBatchProcessEvent, EachBatchPayload, KafkaMessage };

export interface ConsumerOptions {
  groupId: string;
  /** Bytes fetched per partition per request; bounds what a consumer holds in memory. */
  maxBytesPerPartition?: number;
}

/** A consumer that never commits offsets by itself: the caller commits after its own durable write. */
export function createConsumer(kafka: Kafka, options: ConsumerOptions): Consumer {
  return kafka.consumer({
    groupId: options.groupId,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 1024 * 1024,
    allowAutoTopicCreation: false,
    readUncommitted: false,
  });
}
