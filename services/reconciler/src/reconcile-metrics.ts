import { Counter, Gauge, type Registry } from '@paysync/observability';
import type { TableReport } from './reconcile-run';

/** What an SRE watches of the reconciler: drift by table and kind, progress, speed, last success. */
export class ReconcileMetrics {
  readonly driftRows: Gauge<'table' | 'kind'>;
  readonly unsettled: Gauge<'table'>;
  readonly fenceMissed: Counter<'table'>;
  readonly rowsScanned: Counter<'table'>;
  readonly rowsPerSecond: Gauge<'table'>;
  readonly runSeconds: Gauge<'table'>;
  readonly lastSuccess: Gauge<'table'>;
  readonly failures: Counter<'table'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.driftRows = new Gauge({ name: 'paysync_reconcile_drift_rows', help: 'Rows found drifted in the last run, by table and kind (missing, extra, different).', labelNames: ['table', 'kind'], registers });
    this.unsettled = new Gauge({ name: 'paysync_reconcile_unsettled_rows', help: 'Differing rows that kept changing during the re-checks (not reported as drift).', labelNames: ['table'], registers });
    this.fenceMissed = new Counter({ name: 'paysync_reconcile_fence_missed_total', help: 'Re-checks that could not wait for the pipeline (capture or apply lagging or stopped); their differences were left unsettled.', labelNames: ['table'], registers });
    this.rowsScanned = new Counter({ name: 'paysync_reconcile_rows_scanned_total', help: 'Rows of the source table compared.', labelNames: ['table'], registers });
    this.rowsPerSecond = new Gauge({ name: 'paysync_reconcile_rows_per_second', help: 'Rows hashed per second in the last run (both sides).', labelNames: ['table'], registers });
    this.runSeconds = new Gauge({ name: 'paysync_reconcile_run_duration_seconds', help: 'Duration of the last run of the table.', labelNames: ['table'], registers });
    this.lastSuccess = new Gauge({ name: 'paysync_reconcile_last_success_timestamp_seconds', help: 'When the table was last compared to the end (Unix time).', labelNames: ['table'], registers });
    this.failures = new Counter({ name: 'paysync_reconcile_failures_total', help: 'Runs that failed (a side unreachable, a table missing).', labelNames: ['table'], registers });
  }

  tableDone(report: TableReport): void {
    const { table } = report;
    this.driftRows.set({ table, kind: 'missing' }, report.missing.length);
    this.driftRows.set({ table, kind: 'extra' }, report.extra.length);
    this.driftRows.set({ table, kind: 'different' }, report.different.length);
    this.unsettled.set({ table }, report.unsettled);
    if (report.fenceMissed) this.fenceMissed.inc({ table });
    this.rowsScanned.inc({ table }, report.rows);
    this.rowsPerSecond.set({ table }, report.rowsPerSecond);
    this.runSeconds.set({ table }, report.seconds);
    this.lastSuccess.set({ table }, Date.now() / 1000);
  }
}
