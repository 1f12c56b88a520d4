import { join } from 'node:path';
import { PaymentsWorkload, PAYMENTS_TABLES } from '../../../demo/payments-workload';
import { serviceHttpUrl } from '../../../demo/service-process';
import { dashboardExpressions } from '../../support/dashboard-expressions';
import { killAll, startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import { PipelineFixture } from '../../support/pipeline-fixture';
import { PrometheusServer, type PrometheusAlert } from '../../support/prometheus-server';
import { metricSelectors } from '../../support/promql-selectors';
import { sendRawRecords } from '../../support/raw-records';
import { reconcilerEnv } from '../../support/reconcile-once';
import { waitUntil } from '../../support/wait';

jest.setTimeout(480_000);

const DEPLOY = join(__dirname, '..', '..', '..', 'deploy');

/** The restore drill's metrics reach Prometheus only through a Pushgateway after `paysync drill` ran: this pipeline runs no drill. */
const scrapedFromPipeline = (expr: string): boolean => !expr.includes('paysync_drill_');

/** The expressions of `exprs` that return no series now. */
async function withoutSeries(prometheus: PrometheusServer, exprs: string[]): Promise<string[]> {
  const empty: string[] = [];
  for (const expr of exprs) if ((await prometheus.query(expr)).length === 0) empty.push(expr);
  return empty;
}

/**
 * deploy/grafana/paysync.json and deploy/prometheus/alerts.yml against what paysync really
 * exports: a real Prometheus scrapes a running capture, apply and reconciler over a payments load.
 */
describe('a real Prometheus scraping capture, apply and the reconciler', () => {
  let fixture: PipelineFixture;
  let reconciler: PaysyncProcess | undefined;
  let prometheus: PrometheusServer | undefined;

  beforeAll(async () => {
    fixture = await PipelineFixture.create('postgres');
  });
  afterAll(async () => {
    await prometheus?.stop();
    await killAll(reconciler ? [reconciler] : []);
    await fixture.cleanup();
  });

  it('has series for every dashboard expression and every metric the alerts read, and fires the dead-letter alert on a poison record', async () => {
    const capture = await fixture.startCapture();
    const apply = fixture.startApply();
    reconciler = startPaysync('reconcile', reconcilerEnv(fixture.capture, fixture.target, fixture.groupId, PAYMENTS_TABLES, { PAYSYNC_RECONCILE_INTERVAL_MS: '2000' }));
    prometheus = await PrometheusServer.start(
      [
        { job: 'paysync-capture', address: await serviceHttpUrl(capture, 'capture health server listening') },
        { job: 'paysync-apply', address: await serviceHttpUrl(apply, 'apply running') },
        { job: 'paysync-reconciler', address: await serviceHttpUrl(reconciler, 'reconciler running') },
      ],
      [join(DEPLOY, 'prometheus', 'alerts.yml')],
    );
    const server = prometheus;

    const workload = new PaymentsWorkload(fixture.capture.db.pool);
    workload.start(2);
    try {
      await waitUntil('300 source transactions', () => workload.transactions >= 300, 120_000);
      // The alert sees an increase only from a value Prometheus has scraped before it.
      const accounts = fixture.capture.topic('public.accounts');
      await waitUntil('the dead-letter counter of the accounts topic at 0 in Prometheus', async () => (await server.query(`paysync_apply_dead_letters_total{topic="${accounts}"} == 0`)).length > 0, 60_000);
      await sendRawRecords(fixture.capture.kafka, accounts, [{ key: Buffer.from('poison key'), value: Buffer.from('these bytes are not Avro'), partition: 0 }]);
      // A dropped replication connection: capture recovers in place (paysync_capture_recoveries_total).
      await fixture.capture.db.pool.query('SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL', [fixture.capture.slot]);
      await waitUntil('300 more source transactions', () => workload.transactions >= 600, 120_000);
    } finally {
      await workload.stop();
    }
    await fixture.waitEqual(capture);

    let alerts: PrometheusAlert[] = [];
    await waitUntil(
      () => `PaysyncApplyDeadLetters to fire; alerts: ${JSON.stringify(alerts)}`,
      async () => (alerts = await server.alerts()).some((a) => a.labels.alertname === 'PaysyncApplyDeadLetters' && a.state === 'firing'),
      60_000,
    );
    expect(alerts.find((a) => a.labels.alertname === 'PaysyncApplyDeadLetters')?.labels).toMatchObject({ job: 'paysync-apply', topic: fixture.capture.topic('public.accounts'), severity: 'critical' });

    const panels = dashboardExpressions(join(DEPLOY, 'grafana', 'paysync.json'));
    expect(panels.length).toBeGreaterThan(30);
    let emptyPanels: string[] = [];
    await waitUntil(
      () => `every dashboard expression to return series; still none for:\n${emptyPanels.join('\n')}`,
      async () => (emptyPanels = await withoutSeries(server, panels.map((p) => p.expr).filter(scrapedFromPipeline))).length === 0,
      120_000,
      1000,
    );

    // Most alert expressions are empty on a healthy pipeline: each metric selector inside them must not be.
    const rules = await server.rules();
    expect(rules.filter((r) => r.type === 'alerting').length).toBeGreaterThanOrEqual(11);
    const selectors = [...new Set(rules.flatMap((r) => metricSelectors(r.query)))].filter(scrapedFromPipeline);
    expect(selectors.length).toBeGreaterThan(10);
    expect(await withoutSeries(server, selectors)).toEqual([]);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);

    expect(alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname)).toEqual(['PaysyncApplyDeadLetters']);
  });
});
