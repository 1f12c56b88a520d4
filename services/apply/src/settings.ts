import { httpSettings, kafkaSettings, list, oneOf, text, url } from '@paysync/config';

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
  }),
};
