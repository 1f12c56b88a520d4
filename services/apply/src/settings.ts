import { httpSettings, integer, kafkaSettings, list, oneOf, targetSettings, text } from '@paysync/config';

const TABLE = /^[^.\s=]+\.[^.\s=]+$/;

export const applySettings = {
  ...kafkaSettings,
  ...httpSettings,
  ...targetSettings,
  groupId: text('PAYSYNC_GROUP_ID', { description: 'Kafka consumer group of this target (one group per target).', example: 'paysync-apply-replica1' }),
  mode: oneOf('PAYSYNC_APPLY_MODE', ['parallel', 'transactional'] as const, {
    description: 'parallel: per-table batches, fastest, eventually consistent across tables; transactional: each source transaction applied atomically in commit order.',
    default: 'parallel',
  }),
  tables: list('PAYSYNC_TABLES', {
    description: 'Source tables whose topics are applied, comma-separated schema.table.',
    example: 'public.accounts,public.transfers',
    item: (v) => {
      if (!TABLE.test(v)) throw new Error('must be schema.table');
    },
  }),
  partitionsConcurrently: integer('PAYSYNC_APPLY_CONCURRENCY', {
    description: 'Partitions applied at the same time, each in its own target transaction.',
    default: 3,
    min: 1,
    max: 64,
  }),
  fetchMaxBytesPerPartition: integer('PAYSYNC_FETCH_MAX_BYTES_PER_PARTITION', {
    description: 'Bytes fetched per partition per request: bounds a batch (and memory: about this times the partition count).',
    default: 1024 * 1024,
    min: 16 * 1024,
    max: 64 * 1024 * 1024,
  }),
};
