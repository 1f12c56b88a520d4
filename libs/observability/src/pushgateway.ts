import { Pushgateway, type Registry } from 'prom-client';

/**
 * Pushes the registry's metrics to a Prometheus Pushgateway under `job` (and the grouping labels),
 * for a run too short to be scraped (a drill as a CronJob). POST, not PUT: only the metrics pushed
 * now are replaced in the group, so a failed run leaves the last success's timestamp in place.
 */
export async function pushToGateway(url: string, registry: Registry, job: string, groupings: Record<string, string>): Promise<void> {
  const gateway = new Pushgateway(url, { timeout: 10_000 }, registry);
  await gateway.pushAdd({ jobName: job, groupings });
}
