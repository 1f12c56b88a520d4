import { createLogger, createMetricsRegistry, startHealthServer, type HealthServer } from '@paysync/observability';
import { deploymentPods, renderChart } from '../../support/helm';
import { EVERYTHING_ON } from './value-sets';

describe('Helm chart probes', () => {
  let pods: ReturnType<typeof deploymentPods>;
  let server: HealthServer;

  // The health server every service runs (libs/observability), not ready, as a capture standby is.
  beforeAll(async () => {
    pods = deploymentPods(renderChart(EVERYTHING_ON));
    const logger = createLogger({ service: 'test', level: 'silent' });
    server = await startHealthServer({ host: '127.0.0.1', port: 0, registry: createMetricsRegistry('test'), logger, readiness: () => ({ ready: false, detail: {} }) });
  });
  afterAll(() => server.close());

  it('ask the health server paths that exist, on the port the service listens on', async () => {
    expect(pods.length).toBeGreaterThan(0);
    for (const { container } of pods) {
      const port = container.ports.find((p: { name: string }) => p.name === 'http');
      expect(String(port.containerPort)).toBe(container.env.find((e: { name: string }) => e.name === 'PAYSYNC_HTTP_PORT').value);
      for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
        expect(probe.httpGet.port).toBe('http');
        // 503 is an answer of the route (not ready); 404 would mean no such route.
        expect([200, 503]).toContain((await fetch(`${server.url}${probe.httpGet.path}`)).status);
      }
    }
    expect((await fetch(`${server.url}/no-such-path`)).status).toBe(404);
  });

  it('check liveness on /healthz and readiness on /readyz, except capture: a standby is never ready, so /healthz', () => {
    const paths = pods.map(({ name, container }) => [name, container.startupProbe.httpGet.path, container.livenessProbe.httpGet.path, container.readinessProbe.httpGet.path]);
    expect(paths).toEqual([
      ['pay-paysync-apply-replica', '/healthz', '/healthz', '/readyz'],
      ['pay-paysync-apply-reporting', '/healthz', '/healthz', '/readyz'],
      ['pay-paysync-capture', '/healthz', '/healthz', '/healthz'],
      ['pay-paysync-reconciler-replica', '/healthz', '/healthz', '/readyz'],
      ['pay-paysync-reconciler-reporting', '/healthz', '/healthz', '/readyz'],
    ]);
  });
});
