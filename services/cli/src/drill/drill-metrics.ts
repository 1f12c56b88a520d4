import { createMetricsRegistry, Gauge, pushToGateway, type Logger } from '@paysync/observability';
import type { DrillOutcome } from './drill-outcome';

/**
 * The drill's metrics, pushed once at its end (a CronJob is not there to be scraped). The success
 * timestamp is pushed only by a drill that passed, so a failed one leaves the last success in
 * place and PaysyncDrillOverdue fires once it is too old.
 */
export async function pushDrillMetrics(url: string, prefix: string, overdueSeconds: number, outcome: DrillOutcome | undefined, logger: Logger): Promise<void> {
  const registry = createMetricsRegistry('drill');
  const registers = [registry];
  const nowSeconds = Date.now() / 1000;
  new Gauge({ name: 'paysync_drill_last_run_timestamp_seconds', help: 'Unix time the last drill ended, passed or not.', registers }).set(nowSeconds);
  new Gauge({ name: 'paysync_drill_overdue_after_seconds', help: 'PAYSYNC_DRILL_OVERDUE_SECONDS: PaysyncDrillOverdue fires when the last passed drill is older.', registers }).set(overdueSeconds);
  new Gauge({ name: 'paysync_drill_passed', help: '1 when the last drill rebuilt a replica equal to the source, else 0.', registers }).set(outcome?.passed ? 1 : 0);
  if (outcome) {
    new Gauge({ name: 'paysync_drill_rebuild_seconds', help: 'Seconds the last drill took to rebuild a replica from the topics (the RTO).', registers }).set(outcome.rebuildSeconds);
    new Gauge({ name: 'paysync_drill_rows', help: 'Rows the last drill wrote into its scratch database.', registers }).set(outcome.rowsWritten);
    new Gauge({ name: 'paysync_drill_unsettled_rows', help: 'Rows the source kept changing through every re-check of the last drill (not compared).', registers }).set(outcome.unsettledRows);
    new Gauge({ name: 'paysync_drill_drifted_rows', help: 'Rows of the last drill\'s replica that differ from the source.', registers }).set(outcome.driftedRows);
  }
  if (outcome?.passed) new Gauge({ name: 'paysync_drill_last_success_timestamp_seconds', help: 'Unix time of the last drill that passed.', registers }).set(nowSeconds);
  try {
    await pushToGateway(url, registry, 'paysync_drill', { prefix });
  } catch (err) {
    logger.error({ err }, 'could not push the drill\'s metrics to PAYSYNC_DRILL_PUSHGATEWAY_URL; check the address and that the Pushgateway runs');
  }
}
