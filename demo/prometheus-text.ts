/** Sum of every sample of `metric` (all label sets) in a Prometheus text exposition; 0 when absent. */
export function metricSum(exposition: string, metric: string): number {
  const sample = new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`);
  let sum = 0;
  for (const line of exposition.split('\n')) {
    const match = sample.exec(line);
    if (match) sum += Number(match[1]);
  }
  return sum;
}

/** What the demo shows of apply, read from its /metrics. */
export interface ApplyReading {
  rowsApplied: number;
  lagSeconds: number;
}

export async function readApplyMetrics(httpUrl: string): Promise<ApplyReading> {
  const response = await fetch(`${httpUrl}/metrics`);
  if (!response.ok) throw new Error(`${httpUrl}/metrics answered ${response.status}`);
  const text = await response.text();
  return { rowsApplied: metricSum(text, 'paysync_apply_rows_total'), lagSeconds: metricSum(text, 'paysync_apply_lag_seconds') };
}
