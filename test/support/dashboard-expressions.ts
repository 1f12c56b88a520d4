import { readFileSync } from 'node:fs';

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

export interface PanelExpression {
  panel: string;
  expr: string;
}

/**
 * Every PromQL expression of a Grafana dashboard's panels (rows' panels included), with
 * `$__rate_interval` (Grafana's own variable) as a window of ten scrapes of a Prometheus that
 * scrapes every second.
 */
export function dashboardExpressions(file: string): PanelExpression[] {
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as { panels: Panel[] };
  const walk = (panels: Panel[]): PanelExpression[] =>
    panels.flatMap((p) => [
      ...(p.targets ?? []).filter((t) => t.expr).map((t) => ({ panel: p.title ?? '', expr: (t.expr as string).replace(/\$__rate_interval/g, '10s') })),
      ...walk(p.panels ?? []),
    ]);
  return walk(dashboard.panels);
}
