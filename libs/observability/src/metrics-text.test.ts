import { metricSum, parseMetricsText } from './metrics-text';

describe('parseMetricsText', () => {
  it('reads name, labels (escapes undone) and value of each sample line, skipping comments', () => {
    const samples = parseMetricsText(
      ['# HELP paysync_apply_rows_total Rows applied.', '# TYPE paysync_apply_rows_total counter', 'paysync_apply_rows_total{table="public.a",note="say \\"hi\\""} 3', 'paysync_apply_rows_total{table="public.b"} 4', 'paysync_up 1', ''].join('\n'),
    );
    expect(samples).toEqual([
      { name: 'paysync_apply_rows_total', labels: { table: 'public.a', note: 'say "hi"' }, value: 3 },
      { name: 'paysync_apply_rows_total', labels: { table: 'public.b' }, value: 4 },
      { name: 'paysync_up', labels: {}, value: 1 },
    ]);
    expect(metricSum(samples, 'paysync_apply_rows_total')).toBe(7);
    expect(metricSum(samples, 'paysync_absent')).toBe(0);
  });
});
