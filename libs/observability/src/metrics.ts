import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

/**
 * One Prometheus registry per service process, with Node's default metrics (RSS, event-loop lag,
 * GC) and a `service` label, so dashboards can tell capture, apply and reconciler apart.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'paysync_' });
  return registry;
}
