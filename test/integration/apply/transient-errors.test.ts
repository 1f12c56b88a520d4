import { PaymentsWorkload } from '../../../demo/payments-workload';
import { createPool } from '@paysync/postgres';
import { httpAddressOf, sampleValue, scrapeMetrics } from '../../support/metrics-scrape';
import type { PaysyncProcess } from '../../support/paysync-process';
import { PipelineFixture } from '../../support/pipeline-fixture';
import { stackAddresses } from '../../support/stack-addresses';
import { sleep } from '../../support/wait';

jest.setTimeout(300_000);

describe('apply: transient target errors, graceful shutdown and metrics (PostgreSQL target)', () => {
  let fixture: PipelineFixture;
  let capture: PaysyncProcess;
  let apply: PaysyncProcess;
  /** One for both tests: it numbers the accounts it opens. */
  let workload: PaymentsWorkload;

  beforeAll(async () => {
    fixture = await PipelineFixture.create('postgres');
    capture = await fixture.startCapture();
    apply = fixture.startApply();
    workload = new PaymentsWorkload(fixture.capture.db.pool);
  });
  afterAll(() => fixture.cleanup());

  it('retries in place while its target connections are killed under load, and ends equal with nothing lost or doubled', async () => {
    await fixture.waitEqual(capture);
    workload.start(3);
    // Another superuser session ends apply's connections to the target, again and again, mid-batch.
    const admin = createPool(stackAddresses().PAYSYNC_TEST_PG_URL, { applicationName: 'paysync-test-admin', max: 1 });
    let terminated = 0;
    try {
      await sleep(1000);
      const until = Date.now() + 5000;
      while (Date.now() < until) {
        const { rows } = await admin.query<{ n: string }>(
          `SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'paysync-apply%'`,
          [new URL(fixture.target.url).pathname.slice(1)],
        );
        terminated += Number(rows[0].n);
        await sleep(150);
      }
    } finally {
      await admin.end();
      await workload.stop();
    }
    await fixture.waitEqual(capture);

    expect(terminated).toBeGreaterThan(0);
    expect(apply.child.exitCode).toBeNull();
    const metrics = await scrapeMetrics(httpAddressOf(apply, 'apply running'));
    expect(sampleValue(metrics, 'paysync_apply_retries_total')).toBeGreaterThan(0);
    // Retried, not mistaken for poison.
    expect(sampleValue(metrics, 'paysync_apply_dead_letters_total')).toBeUndefined();
    // Equal row for row covers the keys; the insert-only ledger has each source row exactly once.
    const [target] = await fixture.target.query('SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM public.ledger');
    const [ledger] = (await fixture.capture.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger')).rows;
    expect(target).toEqual({ n: ledger.n, d: ledger.n });
    process.stdout.write(`transient errors: ${terminated} target connections ended, ${sampleValue(metrics, 'paysync_apply_retries_total')} batch retries, ${ledger.n} ledger rows equal\n`);
  });

  it('exposes rows, lags, batch durations and dead letters, and exits 0 on SIGTERM under load, losing nothing', async () => {
    workload.start(2);
    let metrics: string[] = [];
    try {
      await sleep(2000);
      metrics = await scrapeMetrics(httpAddressOf(apply, 'apply running'));
      // Stopped while rows keep arriving: the batch in hand commits (or rolls back) whole.
      apply.kill('SIGTERM');
      expect(await apply.exited).toBe(0);
    } finally {
      await workload.stop();
    }

    for (const op of ['upsert'] as const) {
      for (const table of ['public.accounts', 'public.transfers', 'public.ledger']) {
        expect({ table, op, rows: sampleValue(metrics, 'paysync_apply_rows_total', { table, op }) }).toEqual({ table, op, rows: expect.any(Number) });
      }
    }
    const lag = sampleValue(metrics, 'paysync_apply_lag_seconds');
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(3600);
    const consumerLag = metrics.filter((l) => l.startsWith('paysync_apply_consumer_lag_records{'));
    expect(consumerLag.length).toBeGreaterThan(0);
    for (const line of consumerLag) expect(Number(line.split(' ').pop())).toBeGreaterThanOrEqual(0);
    expect(sampleValue(metrics, 'paysync_apply_batch_duration_seconds_count')).toBeGreaterThan(0);
    expect(sampleValue(metrics, 'paysync_apply_batch_duration_seconds_bucket', { le: '+Inf' })).toBe(sampleValue(metrics, 'paysync_apply_batch_duration_seconds_count'));
    expect(sampleValue(metrics, 'paysync_apply_end_to_end_seconds_count')).toBeGreaterThan(0);

    // What was not applied before the stop is applied by the next process, once.
    const next = fixture.startApply();
    await fixture.waitEqual(capture);
    const after = await scrapeMetrics(httpAddressOf(next, 'apply running'));
    // Without poison records the counter family is there with no sample.
    expect(after.some((l) => l.startsWith('paysync_apply_dead_letters_total'))).toBe(false);
    expect((await (await fetch(`${httpAddressOf(next, 'apply running')}/metrics`)).text())).toMatch(/# TYPE paysync_apply_dead_letters_total counter/);
    next.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  });
});
