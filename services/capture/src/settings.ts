import { columnPolicySettings, flag, httpSettings, integer, kafkaSettings, sourceSettings, text, withCrossCheck } from '@paysync/config';

const PG_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export const captureSettings = {
  ...sourceSettings,
  ...kafkaSettings,
  ...httpSettings,
  ...columnPolicySettings,
  slot: text('PAYSYNC_SLOT', {
    description: 'Logical replication slot of this capture (created if missing; one per capture process).',
    default: 'paysync',
    pattern: PG_NAME,
    patternText: 'a lower-case PostgreSQL name (a-z, 0-9, _; at most 63)',
  }),
  publication: text('PAYSYNC_PUBLICATION', {
    description: 'Publication listing the captured tables (created if missing, limited to PAYSYNC_TABLES).',
    default: 'paysync',
    pattern: PG_NAME,
    patternText: 'a lower-case PostgreSQL name (a-z, 0-9, _; at most 63)',
  }),
  topicPartitions: integer('PAYSYNC_TOPIC_PARTITIONS', {
    description: 'Partitions of each table topic created by capture (a key always maps to one partition).',
    default: 3,
    min: 1,
    max: 1000,
  }),
  topicDeleteRetentionMs: integer('PAYSYNC_TOPIC_DELETE_RETENTION_MS', {
    description: 'delete.retention.ms of the compacted table topics capture creates: how long a delete event and its tombstone stay after compaction reached them. A replica rebuilt or a consumer lagging longer than this may miss deletes; apply\'s PAYSYNC_DELETE_MARKER_RETENTION_MS must be longer.',
    default: 86_400_000,
    min: 0,
    max: 31_536_000_000,
  }),
  topicMinCompactionLagMs: integer('PAYSYNC_TOPIC_MIN_COMPACTION_LAG_MS', {
    description: 'min.compaction.lag.ms of the compacted table topics capture creates: records younger than this are never compacted, so paysync replay with PAYSYNC_REPLAY_UNTIL_LSN/TIME is exact to the point within this head.',
    default: 86_400_000,
    min: 0,
    max: 31_536_000_000,
  }),
  heartbeatMs: integer('PAYSYNC_HEARTBEAT_INTERVAL_MS', {
    description: 'How often capture writes a heartbeat into the WAL so an idle slot keeps advancing (0 turns it off).',
    default: 10000,
    min: 0,
    max: 3_600_000,
  }),
  snapshotChunkRows: integer('PAYSYNC_SNAPSHOT_CHUNK_ROWS', {
    description: 'Rows read per snapshot chunk (each chunk is one short query between two watermarks).',
    default: 10000,
    min: 1,
    max: 1_000_000,
  }),
  snapshotRequestMaxRowsPerSecond: integer('PAYSYNC_SNAPSHOT_REQUEST_MAX_ROWS_PER_SECOND', {
    description: 'Throttle of the snapshots asked for by paysync snapshot: rows read per second at most, capture pausing between chunks (0: as fast as the source and Kafka allow). The snapshots capture makes itself are not throttled.',
    default: 0,
    min: 0,
    max: 1_000_000_000,
  }),
  maxInFlightBytes: integer('PAYSYNC_MAX_IN_FLIGHT_BYTES', {
    description: 'Memory held by changes sent to Kafka and not yet acknowledged (encoded bytes plus about 256 bytes a message); above it capture stops reading the WAL.',
    default: 8 * 1024 * 1024,
    min: 1024 * 1024,
    max: 4 * 1024 * 1024 * 1024,
  }),
  kafkaAckTimeoutMs: integer('PAYSYNC_KAFKA_ACK_TIMEOUT_MS', {
    description: 'A send to Kafka not acknowledged after this long (a broker away or unable to write) ends the stream: capture turns not ready, logs "capture recovering in place" with reason kafka and reconnects with backoff; what was not acknowledged is read from the slot again, and the unfinished Kafka transaction is never visible to read_committed consumers.',
    default: 30_000,
    min: 1000,
    max: 3_600_000,
  }),
  resnapshotOnSlotLoss: flag('PAYSYNC_RESNAPSHOT_ON_SLOT_LOSS', {
    description: 'When the slot of a capture that has captured before is missing or invalidated (wal_status = lost), create it again and snapshot every table anew instead of stopping (false: stop, naming the slot, since streaming on from a new slot would leave a gap).',
    default: false,
  }),
  walSenderTimeoutMs: integer('PAYSYNC_WAL_SENDER_TIMEOUT_MS', {
    description: "wal_sender_timeout of capture's replication connection (0: the source's own): how long the source waits for a silent capture (hung, paused, cut off) before ending its stream, which frees the slot for a standby replica to take over.",
    default: 0,
    min: 0,
    max: 3_600_000,
  }),
  transactionTopic: flag('PAYSYNC_TRANSACTION_TOPIC', {
    description: 'Also write every change, in commit order with a marker after each transaction, to <prefix>.transactions (needed by PAYSYNC_APPLY_MODE=transactional; doubles what capture writes).',
    default: false,
  }),
  skipAppliedChanges: flag('PAYSYNC_SKIP_APPLIED_CHANGES', {
    description: 'Drop the transactions paysync apply wrote into this database (their replication origin starts with paysync.apply.), so in bidirectional sync a change does not echo back to the side it came from. Off by default so cascades (A -> B -> C) keep working. Needs every captured table at REPLICA IDENTITY FULL (apply\'s conflict check compares the other side\'s before image).',
    default: false,
  }),
  skipOriginsAtSource: withCrossCheck(
    flag('PAYSYNC_SKIP_ORIGINS_AT_SOURCE', {
      description:
        "PostgreSQL 16 or later, with PAYSYNC_SKIP_APPLIED_CHANGES: the source itself leaves out every transaction carrying a replication origin before decoding it for capture (pgoutput's origin = 'none'), so capture receives none of apply's writes. It leaves out every origin's, not only paysync's: a PostgreSQL subscription or another tool replicating into this database is then not captured either. Capture stops at start on an older PostgreSQL.",
      default: false,
    }),
    (on, valueOf) => (on && valueOf('PAYSYNC_SKIP_APPLIED_CHANGES') !== true ? 'needs PAYSYNC_SKIP_APPLIED_CHANGES=true (the source then leaves out what capture would drop)' : undefined),
  ),
};
