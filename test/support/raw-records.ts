import { createIdempotentProducer, sendAcked, type Kafka, type Message } from '@paysync/kafka';

/** Writes records of bytes the test chose (poison for apply, say) to one topic, acknowledged by the broker. */
export async function sendRawRecords(kafka: Kafka, topic: string, messages: Message[]): Promise<void> {
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  try {
    await sendAcked(producer, [{ topic, messages }]);
  } finally {
    await producer.disconnect();
  }
}
