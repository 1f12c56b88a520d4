import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

/**
 * The paysync release this process runs. Every package of the workspace carries the release's
 * version; this one's package.json sits beside src/ and dist/ alike, in the repository and in the image.
 */
const RELEASE: string = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

/**
 * One Prometheus registry per service process, with Node's default metrics (CPU, RSS, open file
 * descriptors, event-loop lag, GC), `paysync_build_info{version}` and a `service` label, so
 * dashboards can tell capture, apply and reconciler apart, and alerts can tell a target that
 * stopped answering from one that never was paysync.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'paysync_' });
  new Gauge({ name: 'paysync_build_info', help: 'Always 1; its version label is the paysync release this process runs.', labelNames: ['version'], registers: [registry] }).set({ version: RELEASE }, 1);
  return registry;
}
