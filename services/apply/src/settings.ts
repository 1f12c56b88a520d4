import { flag, httpSettings, integer, kafkaSettings, list, oneOf, targetSettings, text, withCrossCheck } from '@paysync/config';

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
  targetPreparedStatements: flag('PAYSYNC_TARGET_PREPARED_STATEMENTS', {
    description:
      'PostgreSQL targets: each connection prepares the statements apply runs again and again (named prepared statements), so PostgreSQL plans them once instead of at every batch. Set false behind a connection pooler in transaction mode that does not keep prepared statements (PgBouncer before 1.21, or with max_prepared_statements = 0): it fails them with "prepared statement ... does not exist".',
    default: true,
  }),
  fetchMaxBytesPerPartition: integer('PAYSYNC_FETCH_MAX_BYTES_PER_PARTITION', {
    description: 'Bytes fetched per partition per request: bounds a batch (and memory: about this times the partition count).',
    default: 1024 * 1024,
    min: 16 * 1024,
    max: 64 * 1024 * 1024,
  }),
};

/** Apply's own (replay purges nothing: the target's running apply does). */
export const deleteMarkerSettings = {
  deleteMarkerRetentionMs: integer('PAYSYNC_DELETE_MARKER_RETENTION_MS', {
    description:
      "How long a deleted key's version marker is kept in the target (it stops a replayed older change from bringing the row back); then apply purges it. Must be longer than the table topics' delete.retention.ms (Kafka's default 86400000) plus the longest time an older change of the key can still reach apply (a replay of older offsets, capture re-sending after a crash); 0 keeps markers forever. See docs/backups.md.",
    default: 7 * 24 * 60 * 60 * 1000,
    min: 0,
  }),
  deleteMarkerPurgeIntervalMs: integer('PAYSYNC_DELETE_MARKER_PURGE_INTERVAL_MS', {
    description: 'How often apply purges expired delete markers: at most 1000 per statement, each in a short transaction of its own, until none is left.',
    default: 5 * 60 * 1000,
    min: 100,
    max: 24 * 60 * 60 * 1000,
  }),
};

/** Apply's own: bidirectional sync, where the target is also written by its own users and captured back. */
export const bidirectionalSettings = {
  bidirectional: withCrossCheck(
    flag('PAYSYNC_BIDIRECTIONAL', {
      description:
        "The target is also written by its own users and captured back towards the source (bidirectional sync, docs/bidirectional.md): apply marks each of its transactions with a replication origin paysync.apply.<group>.<n>, which the target's capture drops with PAYSYNC_SKIP_APPLIED_CHANGES=true, and checks every change against the target row for a conflict (PAYSYNC_CONFLICT_POLICY). PostgreSQL targets only; needs EXECUTE on pg_replication_origin_create and pg_replication_origin_session_setup (grantable from PostgreSQL 14) and a free replication origin state per apply connection (max_replication_slots).",
      default: false,
    }),
    (on, valueOf) => {
      const url = valueOf('PAYSYNC_TARGET_URL');
      if (on && typeof url === 'string' && !/^postgres(ql)?:/.test(url)) return 'bidirectional sync needs a PostgreSQL target (MariaDB and MySQL are one-way targets only)';
      return undefined;
    },
  ),
  conflictPolicy: oneOf('PAYSYNC_CONFLICT_POLICY', ['dead-letter', 'source-wins', 'target-wins'] as const, {
    description:
      "With PAYSYNC_BIDIRECTIONAL: what apply does with a change whose target row was changed here since the other side last saw it (the target row differs from the change's before image; for an insert or snapshot read, a different row already holds the key). dead-letter: not applied, recorded on <prefix>.conflicts.<group>; source-wins: applied, recorded; target-wins: not applied, recorded. Every conflict is recorded and counted in paysync_apply_conflicts_total. source-wins one way and target-wins the other makes one side the authority.",
    default: 'dead-letter',
  }),
};
