/**
 * Table topics are compacted: Kafka keeps every key's newest record (and a delete's tombstone for
 * delete.retention.ms), so a replay from earliest rebuilds the current state however old the topic
 * is. With the delete policy Kafka drops whole segments after retention.ms, and a replica rebuilt
 * from what is left misses every row not changed since. The transaction topic is a log of recent
 * transactions and keeps the broker's time retention.
 */
export function tableTopicConfig(settings: { topicDeleteRetentionMs: number; topicMinCompactionLagMs: number }): Record<string, string> {
  return {
    'cleanup.policy': 'compact',
    'delete.retention.ms': String(settings.topicDeleteRetentionMs),
    'min.compaction.lag.ms': String(settings.topicMinCompactionLagMs),
  };
}

/** Why a table topic with this configuration loses history a rebuild needs; undefined when it keeps it. */
export function historyLoss(config: Map<string, string>): string | undefined {
  const policy = config.get('cleanup.policy') ?? 'delete';
  if (!policy.split(',').map((p) => p.trim()).includes('delete')) return undefined;
  const retentionMs = config.get('retention.ms') ?? '604800000';
  const retentionBytes = config.get('retention.bytes') ?? '-1';
  if (retentionMs === '-1' && retentionBytes === '-1') return undefined;
  return (
    `cleanup.policy=${policy} with retention.ms=${retentionMs} and retention.bytes=${retentionBytes}: older records are deleted, ` +
    'so paysync replay and paysync drill from earliest can no longer rebuild rows not changed since; ' +
    'set cleanup.policy=compact on the topic (kafka-configs.sh --alter --entity-type topics --add-config cleanup.policy=compact)'
  );
}
