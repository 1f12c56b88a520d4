import { metricSum, parseMetricsText } from '@paysync/observability';

/** What the demo shows of apply, read from its /metrics. */
export interface ApplyReading {
  rowsApplied: number;
  lagSeconds: number;
}

export async function readApplyMetrics(httpUrl: string): Promise<ApplyReading> {
  const response = await fetch(`${httpUrl}/metrics`);
  if (!response.ok) throw new Error(`${httpUrl}/metrics answered ${response.status}`);
  const samples = parseMetricsText(await response.text());
  return { rowsApplied: metricSum(samples, 'paysync_apply_rows_total'), lagSeconds: metricSum(samples, 'paysync_apply_lag_seconds') };
}
