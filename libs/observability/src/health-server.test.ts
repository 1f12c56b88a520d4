import { Writable } from 'node:stream';
import { adminGuard, Counter, createLogger, createMetricsRegistry, startHealthServer, type HealthServer } from './index';

function memoryLog(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('health server', () => {
  let server: HealthServer;
  let ready = false;
  const registry = createMetricsRegistry('test');
  const counter = new Counter({ name: 'paysync_test_events_total', help: 'events', registers: [registry] });

  beforeAll(async () => {
    const logger = createLogger({ service: 'test', level: 'silent' });
    server = await startHealthServer({ host: '127.0.0.1', port: 0, registry, logger, readiness: () => ({ ready, detail: { lagBytes: 12 } }) });
  });
  afterAll(() => server.close());

  it('answers /healthz, /readyz by readiness, and /metrics in Prometheus text', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    let res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not ready', lagBytes: 12 });
    ready = true;
    res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    counter.inc(3);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('paysync_test_events_total{service="test"} 3');
    expect(metrics).toContain('paysync_process_resident_memory_bytes');
    expect(metrics).toContain('paysync_process_cpu_seconds_total{service="test"}');
    expect(metrics).toMatch(/^paysync_build_info\{version="\d+\.\d+\.\d+",service="test"\} 1$/m);
  });
});

describe('logger', () => {
  it('writes JSON lines and redacts secrets by key and inside URLs', () => {
    const log = memoryLog();
    const logger = createLogger({ service: 'capture', destination: log.stream });
    logger.info({ config: { sourceUrl: 'postgres://u:hunter2@db/x', password: 'hunter2' } }, 'connecting');
    logger.error({ err: new Error('connect failed for postgres://u:hunter2@db:5432/x') }, 'failed postgres://a:hunter2@b/c');
    const text = JSON.stringify(log.lines());
    expect(text).not.toContain('hunter2');
    const [first, second] = log.lines();
    expect(first).toMatchObject({ level: 'info', service: 'capture', msg: 'connecting', config: { password: '[redacted]' } });
    expect(second.msg).toBe('failed postgres://a:***@b/c');
    expect((second.err as { message: string }).message).toContain('postgres://u:***@db:5432/x');
  });
});

describe('admin guard', () => {
  it('answers admin routes only with the configured bearer token, and keeps them off without one', async () => {
    const server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      registry: createMetricsRegistry('test'),
      logger: createLogger({ service: 'test', level: 'silent' }),
      readiness: () => ({ ready: true, detail: {} }),
      routes: (app) => {
        app.get('/admin-on', { preHandler: adminGuard('s3cret', 'PAYSYNC_ADMIN_TOKEN') }, async () => ({ ok: true }));
        app.get('/admin-off', { preHandler: adminGuard(undefined, 'PAYSYNC_ADMIN_TOKEN') }, async () => ({ ok: true }));
      },
    });
    try {
      const get = (path: string, authorization?: string) => fetch(`${server.url}${path}`, { headers: authorization ? { authorization } : {} });
      expect((await get('/admin-on')).status).toBe(401);
      expect((await get('/admin-on', 'Bearer wrong')).status).toBe(401);
      const ok = await get('/admin-on', 'Bearer s3cret');
      expect({ status: ok.status, body: await ok.json() }).toEqual({ status: 200, body: { ok: true } });
      const off = await get('/admin-off', 'Bearer s3cret');
      expect({ status: off.status, body: await off.json() }).toEqual({ status: 403, body: { error: expect.stringContaining('set PAYSYNC_ADMIN_TOKEN') } });
    } finally {
      await server.close();
    }
  });
});
