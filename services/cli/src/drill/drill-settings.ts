import { flag, integer, optional, text, url } from '@paysync/config';
import { applySettings } from '@paysync/apply';
import { reconcilerSettings } from '@paysync/reconciler';

/** What a drill reads: the topics as apply does, the source as the reconciler does; PAYSYNC_TARGET_URL is the scratch database. */
export const drillSettings = {
  sourceUrl: reconcilerSettings.sourceUrl,
  ...applySettings,
  groupId: text('PAYSYNC_GROUP_ID', {
    description: 'Consumer group of the drill\'s rebuild (its offsets are kept in the scratch database). Two drills running at once need different groups.',
    default: 'paysync-drill',
  }),
  columnExclude: reconcilerSettings.columnExclude,
  columnHash: reconcilerSettings.columnHash,
  columnHashKey: reconcilerSettings.columnHashKey,
  leafRows: reconcilerSettings.leafRows,
  splitFactor: reconcilerSettings.splitFactor,
  parallelWorkers: reconcilerSettings.parallelWorkers,
  maxRowsPerSecond: reconcilerSettings.maxRowsPerSecond,
  recheckDelaysMs: reconcilerSettings.recheckDelaysMs,
  fenceTimeoutMs: reconcilerSettings.fenceTimeoutMs,
  slot: reconcilerSettings.slot,
  createDatabase: flag('PAYSYNC_DRILL_CREATE_DATABASE', {
    description: 'Create the database PAYSYNC_TARGET_URL names (it must not exist; needs CREATEDB on PostgreSQL, CREATE and DROP on MariaDB) and drop it when the drill ends. false: it must exist and hold no table.',
    default: false,
  }),
  overdueSeconds: integer('PAYSYNC_DRILL_OVERDUE_SECONDS', {
    description: 'How old the last passed drill may be before the PaysyncDrillOverdue alert fires: pushed as paysync_drill_overdue_after_seconds, so each drill schedule carries its own limit (default 8 days, for a weekly drill).',
    default: 8 * 86_400,
    min: 60,
    max: 366 * 86_400,
  }),
  pushgatewayUrl: optional(
    url('PAYSYNC_DRILL_PUSHGATEWAY_URL', {
      description: 'Prometheus Pushgateway the drill pushes its metrics to when it ends (job paysync_drill, label prefix): paysync_drill_last_success_timestamp_seconds and the PaysyncDrillOverdue alert rely on it when the drill runs as a CronJob.',
      example: 'http://pushgateway.monitoring:9091',
      protocols: ['http:', 'https:'],
      secret: true,
    }),
  ),
};
