import { ConfigResourceTypes, type Kafka } from '@paysync/kafka';

/** Sets the topic's configuration overrides; alterConfigs replaces them all, so `config` must hold every one the topic keeps. */
export async function setTopicConfig(kafka: Kafka, topic: string, config: Record<string, string>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: Object.entries(config).map(([name, value]) => ({ name, value })) }],
    });
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the partition's records below `before`, as retention does (Kafka refuses it on a compact-only topic). */
export async function deleteRecordsBefore(kafka: Kafka, topic: string, partition: number, before: bigint): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.fetchTopicMetadata({ topics: [topic] }); // kafkajs deletes records only of topics whose metadata it holds
    await admin.deleteTopicRecords({ topic, partitions: [{ partition, offset: String(before) }] });
  } finally {
    await admin.disconnect();
  }
}

/** Deletes a consumer group (it must be empty: its consumers closed); absent is fine. Resolves once Kafka no longer lists it. */
export async function deleteConsumerGroup(kafka: Kafka, group: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const listed = async (): Promise<boolean> => (await admin.listGroups()).groups.some((g) => g.groupId === group);
    if (await listed()) await admin.deleteGroups([group]);
    if (await listed()) throw new Error(`consumer group ${group} is still listed after its deletion`);
  } finally {
    await admin.disconnect();
  }
}
