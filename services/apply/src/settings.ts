import { httpSettings, integer, kafkaSettings, list, oneOf, optional, text, url } from '@paysync/config';

const TABLE = /^[^.\s=]+\.[^.\s=]+$/;

export const applySettings = {
  ...kafkaSettings,
  ...httpSettings,
  targetUrl: url('PAYSYNC_TARGET_URL', {
    description: 'Target database written by apply: PostgreSQL or MariaDB/MySQL.',
    example: 'postgres://paysync:secret@replica:5432/payments or mysql://paysync:secret@reporting:3306/payments',
    protocols: ['postgres:', 'postgresql:', 'mysql:', 'mariadb:'],
    secret: true,
  }),
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
  tableMapping: optional(
    list('PAYSYNC_TABLE_MAPPING', {
      description: 'Target names that differ from the default (PostgreSQL: the source schema.table; MariaDB/MySQL: the bare table name), comma-separated source=target.',
      example: 'public.accounts=replica.accounts,public.ledger=ledger_2024',
      item: (v) => {
        const [from, to, extra] = v.split('=');
        if (extra !== undefined || !from || !to || !TABLE.test(from) || !/^[^.\s=]+(\.[^.\s=]+)?$/.test(to)) throw new Error('must be schema.table=target_table or schema.table=target_schema.target_table');
      },
    }),
  ),
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
