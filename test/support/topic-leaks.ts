import type { Kafka } from '@paysync/kafka';
import { readRawTopic } from './topic-reader';

export interface TopicScan {
  /** Every topic of the prefix with how many records it held. */
  records: Map<string, number>;
  /** "topic partition@offset key|value|header name: needle" for each needle found. */
  leaks: string[];
}

/** The topics on the broker whose name starts with `<prefix>.`. */
export async function topicsOf(kafka: Kafka, prefix: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`)).sort();
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads every byte of every record (key, value and headers) of the prefix's topics and reports
 * where any needle's UTF-8 bytes occur: a protected value that reached Kafka, in any encoding
 * Avro gives a string (its raw UTF-8).
 */
export async function scanTopicsFor(kafka: Kafka, prefix: string, needles: string[]): Promise<TopicScan> {
  const records = new Map<string, number>();
  const leaks: string[] = [];
  const patterns = needles.map((needle) => ({ needle, bytes: Buffer.from(needle, 'utf8') }));
  for (const topic of await topicsOf(kafka, prefix)) {
    const read = await readRawTopic(kafka, topic);
    records.set(topic, read.length);
    for (const record of read) {
      const parts: [string, Buffer | null][] = [
        ['key', record.key],
        ['value', record.value],
        ...Object.entries(record.headers).map(([name, value]): [string, Buffer] => [`header ${name}`, Buffer.from(value, 'utf8')]),
      ];
      for (const [where, bytes] of parts) {
        for (const { needle, bytes: pattern } of patterns) {
          if (bytes?.includes(pattern)) leaks.push(`${topic} ${record.partition}@${record.offset} ${where}: ${needle}`);
        }
      }
    }
  }
  return { records, leaks };
}
