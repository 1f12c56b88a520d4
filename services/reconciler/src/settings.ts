import { columnPolicySettings, flag, httpSettings, integer, kafkaSecuritySettings, kafkaSettings, list, optional, sourceSettings, targetSettings, text, url } from '@paysync/config';

export const reconcilerSettings = {
  ...sourceSettings,
  ...targetSettings,
  ...httpSettings,
  ...columnPolicySettings,
  intervalMs: integer('PAYSYNC_RECONCILE_INTERVAL_MS', {
    description: 'Pause between two scheduled runs over all tables (paysync reconcile --once runs once and exits).',
    default: 300_000,
    min: 1000,
    max: 7 * 24 * 3_600_000,
  }),
  leafRows: integer('PAYSYNC_RECONCILE_LEAF_ROWS', {
    description: 'A differing key range with at most this many rows per side is compared row by row.',
    default: 1000,
    min: 1,
    max: 1_000_000,
  }),
  parallelWorkers: integer('PAYSYNC_RECONCILE_PARALLEL_WORKERS', {
    description:
      "Parallel workers a PostgreSQL side may use for one digest query (the reconciler's sessions' max_parallel_workers_per_gather). 0: one core per side, so a run never takes more than a core of the source; raise it where the servers have cores to spare.",
    default: 0,
    min: 0,
    max: 64,
  }),
  splitFactor: integer('PAYSYNC_RECONCILE_SPLIT_FACTOR', { description: 'Sub-ranges a differing range is split into.', default: 16, min: 2, max: 1024 }),
  maxRowsPerSecond: integer('PAYSYNC_RECONCILE_MAX_ROWS_PER_SECOND', {
    description: 'Throttle: rows hashed per second over both sides (0: as fast as the databases answer).',
    default: 0,
    min: 0,
    max: 1_000_000_000,
  }),
  recheckDelaysMs: list('PAYSYNC_RECONCILE_RECHECK_DELAYS_MS', {
    description: 'Waits before each re-check of a differing key; drift is reported only if it is seen in every re-check on a quiet row.',
    default: ['1000', '2000', '4000'],
    item: (v) => {
      if (!/^\d{1,7}$/.test(v)) throw new Error('must be a number of milliseconds');
    },
  }),
  slot: optional(text('PAYSYNC_SLOT', { description: 'Capture\'s replication slot: each re-check first waits until it confirmed the source\'s current LSN (the capture half of the fence).', example: 'paysync' })),
  groupId: optional(
    text('PAYSYNC_GROUP_ID', {
      description: 'Consumer group of the apply writing this target: each re-check then waits until it applied everything in Kafka (the apply half of the fence; needs PAYSYNC_KAFKA_BROKERS). Without it a lagging apply can look like drift under load.',
      example: 'paysync-apply-replica1',
    }),
  ),
  fenceTimeoutMs: integer('PAYSYNC_RECONCILE_FENCE_TIMEOUT_MS', {
    description: 'Longest wait for the pipeline to catch up before a re-check; past it the differing keys are reported as unsettled, not as drift.',
    default: 60_000,
    min: 1000,
    max: 3_600_000,
  }),
  adminToken: optional(
    text('PAYSYNC_ADMIN_TOKEN', {
      description: 'Bearer token of the admin endpoints (GET /report, POST /reconcile); without it they answer 403.',
      example: 'a long random string',
      secret: true,
    }),
  ),
  webhookUrl: optional(url('PAYSYNC_RECONCILE_WEBHOOK_URL', { description: 'Receives a POST with the JSON report of a run that found drift.', example: 'https://alerts.example/paysync', protocols: ['http:', 'https:'], secret: true })),
  repair: flag('PAYSYNC_RECONCILE_REPAIR', {
    description: 'Repair drift: ask capture (through a message in the source\'s WAL) to re-read each drifted key, so its current row or its deletion flows through Kafka and apply rewrites it.',
    default: false,
  }),
  // Kafka is read for the apply fence (PAYSYNC_GROUP_ID) only.
  kafkaBrokers: optional(kafkaSettings.kafkaBrokers),
  kafkaClientId: kafkaSettings.kafkaClientId,
  ...kafkaSecuritySettings,
  topicPrefix: kafkaSettings.topicPrefix,
};
