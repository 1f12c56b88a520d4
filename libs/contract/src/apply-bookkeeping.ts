import type { TargetKind } from './target-names';

/**
 * Where apply keeps, in each target, the next Kafka offset per (group, topic, partition): written
 * by apply in the transaction of each batch, read by the reconciler to wait until apply caught up.
 */
export const APPLY_OFFSETS_TABLE: Record<TargetKind, { table: string; partitionColumn: string }> = {
  postgres: { table: 'paysync.apply_offsets', partitionColumn: 'partition' },
  // A MariaDB/MySQL target has no schemas: paysync's tables sit beside the replicated ones.
  mysql: { table: 'paysync_apply_offsets', partitionColumn: 'kafka_partition' },
};
