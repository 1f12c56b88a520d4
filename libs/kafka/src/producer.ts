import { CompressionTypes, type Kafka, type Message, type Producer, type RecordMetadata } from 'kafkajs';

export type { Message, Producer, RecordMetadata };

/**
 * The producer every paysync writer uses: idempotent (a retried send is written once), acks from
 * all in-sync replicas, one in-flight request per broker so a retry can never reorder a key's
 * history.
 */
export function createIdempotentProducer(kafka: Kafka, options: { transactionalId?: string } = {}): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    transactionalId: options.transactionalId,
    allowAutoTopicCreation: false,
  });
}

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

/** Sends a batch with acks=all; resolves only once Kafka has acknowledged every message. */
export async function sendAcked(producer: Producer, batch: TopicMessages[]): Promise<RecordMetadata[]> {
  return producer.sendBatch({ topicMessages: batch, acks: -1, compression: CompressionTypes.None });
}
