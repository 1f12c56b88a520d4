/**
 * The metric selectors (name and label matchers) of a PromQL expression that reads paysync's
 * metrics, `up` or `ALERTS`: those are the only metrics paysync's rules and dashboard name.
 */
export function metricSelectors(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b(?:paysync_\w+|up|ALERTS)\b(?:\{[^}]*\})?/g)].map((m) => m[0]))];
}
