import { metricSum, parseMetricsText } from '@paysync/observability';

/** What a running reconciler service reports about its last runs, read from its /metrics. */
export interface ReconcilerStatus {
  url: string;
  tables: number;
  /** Rows found drifted in each table's last run, summed over tables and kinds. */
  driftRows: number;
  unsettledRows: number;
  /** The oldest of the tables' last successful comparisons (ISO time); null when none succeeded yet. */
  oldestSuccessAt: string | null;
  failures: number;
}

/** Sums the reconciler's per-table metrics into one line of status. */
export function reconcilerStatusFrom(url: string, metrics: string): ReconcilerStatus {
  const samples = parseMetricsText(metrics);
  const sum = (name: string) => metricSum(samples, name);
  const successes = samples.filter((s) => s.name === 'paysync_reconcile_last_success_timestamp_seconds');
  const tables = new Set(samples.filter((s) => s.name.startsWith('paysync_reconcile_') && s.labels.table).map((s) => s.labels.table));
  const oldest = successes.length === tables.size && successes.length > 0 ? Math.min(...successes.map((s) => s.value)) : undefined;
  return {
    url,
    tables: tables.size,
    driftRows: sum('paysync_reconcile_drift_rows'),
    unsettledRows: sum('paysync_reconcile_unsettled_rows'),
    oldestSuccessAt: oldest === undefined ? null : new Date(oldest * 1000).toISOString(),
    failures: sum('paysync_reconcile_failures_total'),
  };
}

/** Reads a reconciler service's /metrics (its HTTP port: PAYSYNC_HTTP_PORT of the reconciler). */
export async function readReconcilerStatus(url: string, timeoutMs: number): Promise<ReconcilerStatus> {
  const response = await fetch(new URL('/metrics', url), { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  return reconcilerStatusFrom(url, await response.text());
}
