import { ConfigResourceTypes, type Kafka } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  numPartitions?: number;
  replicationFactor?: number;
  /** e.g. { 'cleanup.policy': 'compact' } */
  config?: Record<string, string>;
}

/**
 * Runs an admin operation again while Kafka answers with a retriable error: right after a topic is
 * created its partitions may have no leader for a moment ("This server does not host this
 * topic-partition"), which must not stop a service.
 */
export async function withKafkaRetries<T>(operation: () => Promise<T>, attempts = 30): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * attempt)));
    }
  }
}

/** Creates the topics that do not exist yet; existing ones are left as they are. */
export function ensureTopics(kafka: Kafka, specs: TopicSpec[]): Promise<void> {
  return withKafkaRetries(() => createMissingTopics(kafka, specs));
}

async function createMissingTopics(kafka: Kafka, specs: TopicSpec[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.numPartitions ?? 1,
        replicationFactor: s.replicationFactor ?? -1,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

/** The topic's configuration as the broker applies it (its own settings and the broker's defaults). */
export function topicConfig(kafka: Kafka, topic: string): Promise<Map<string, string>> {
  return withKafkaRetries(() => readTopicConfig(kafka, topic));
}

async function readTopicConfig(kafka: Kafka, topic: string): Promise<Map<string, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
    return new Map(resources[0].configEntries.map((e) => [e.configName, e.configValue]));
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  } finally {
    await admin.disconnect();
  }
}

export interface PartitionOffsets {
  partition: number;
  /** Earliest offset still held. */
  low: bigint;
  /**
   * Where a read_committed consumer's reading ends now: the offset the next record will get, or,
   * while a transaction is open, its first offset (kafkajs lists offsets read_committed). Kafka's
   * transaction markers below it take offsets too, so records are fewer than `high - low`.
   */
  high: bigint;
}

function asPartitionOffsets(offsets: { partition: number; low: string; high: string }[]): PartitionOffsets[] {
  return offsets.map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) }));
}

export function partitionOffsets(kafka: Kafka, topic: string): Promise<PartitionOffsets[]> {
  return withKafkaRetries(() => readPartitionOffsets(kafka, topic));
}

async function readPartitionOffsets(kafka: Kafka, topic: string): Promise<PartitionOffsets[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return asPartitionOffsets(await admin.fetchTopicOffsets(topic));
  } finally {
    await admin.disconnect();
  }
}

/** Each topic's partition offsets over one admin connection; a topic that does not exist is left out. */
export async function offsetsOfTopics(kafka: Kafka, topics: string[]): Promise<Map<string, PartitionOffsets[]>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const found = new Map<string, PartitionOffsets[]>();
    for (const topic of topics.filter((t) => existing.has(t))) {
      found.set(topic, asPartitionOffsets(await admin.fetchTopicOffsets(topic)));
    }
    return found;
  } finally {
    await admin.disconnect();
  }
}

/** Per partition, the first offset whose record time is at or after `timeMs` (the high watermark when none). */
export async function offsetsAtTime(kafka: Kafka, topic: string, timeMs: number): Promise<{ partition: number; offset: bigint }[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [atTime, bounds] = await Promise.all([admin.fetchTopicOffsetsByTimestamp(topic, timeMs), admin.fetchTopicOffsets(topic)]);
    return atTime.map((o) => {
      const high = bounds.find((b) => b.partition === o.partition)?.high ?? '0';
      return { partition: o.partition, offset: BigInt(o.offset === '-1' ? high : o.offset) };
    });
  } finally {
    await admin.disconnect();
  }
}

/** The given topics that do not exist (yet). */
export async function missingTopics(kafka: Kafka, topics: string[]): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    return topics.filter((t) => !existing.has(t));
  } finally {
    await admin.disconnect();
  }
}

/** How many partitions the topic has. */
export function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  return withKafkaRetries(() => readPartitionCount(kafka, topic));
}

async function readPartitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    return metadata.topics[0].partitions.length;
  } finally {
    await admin.disconnect();
  }
}
