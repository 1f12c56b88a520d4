/** Kafka topic and registry subject names of the event contract (Debezium's conventions). */
const UNSAFE = /[^A-Za-z0-9._-]/g;

export function topicName(prefix: string, schema: string, table: string): string {
  return `${prefix}.${schema}.${table}`.replace(UNSAFE, '_');
}

/** TopicNameStrategy. */
export function keySubject(topic: string): string {
  return `${topic}-key`;
}

export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

export function deadLetterTopic(prefix: string, groupId: string): string {
  return `${prefix}.dlq.${groupId}`.replace(UNSAFE, '_');
}
