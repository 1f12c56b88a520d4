import { PAYMENTS_TABLES, PaymentsWorkload } from '../../../demo/payments-workload';
import { createMysqlPool } from '@paysync/mysql';
import { createPool } from '@paysync/postgres';
import { httpAddressOf, sampleValue, scrapeMetrics } from '../../support/metrics-scrape';
import type { PaysyncProcess } from '../../support/paysync-process';
import { PipelineFixture } from '../../support/pipeline-fixture';
import { stackAddresses } from '../../support/stack-addresses';
import type { ScratchTarget } from '../../support/target-databases';
import { sleep } from '../../support/wait';

jest.setTimeout(300_000);

/**
 * Another session ending apply's connections to the target, again and again for `ms`, mid-batch;
 * returns how many it ended. (On MariaDB every other session of the database: the test's own reads retry.)
 */
async function endTargetConnections(target: ScratchTarget, ms: number): Promise<number> {
  const database = new URL(target.url).pathname.slice(1);
  const stack = stackAddresses();
  const pg = target.kind === 'postgres' ? createPool(stack.PAYSYNC_TEST_PG_URL, { applicationName: 'paysync-test-admin', max: 1 }) : undefined;
  const my = target.kind === 'mysql' ? createMysqlPool(stack.PAYSYNC_TEST_MYSQL_URL, { max: 1 }) : undefined;
  let ended = 0;
  try {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (pg) {
        const { rows } = await pg.query<{ n: string }>(
          `SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'paysync-apply%'`,
          [database],
        );
        ended += Number(rows[0].n);
      } else if (my) {
        const [rows] = await my.query('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [database]);
        for (const { id } of rows as { id: string | number }[]) {
          await my.query(`KILL CONNECTION ${Number(id)}`).then(() => (ended += 1), () => undefined);
        }
      }
      await sleep(150);
    }
  } finally {
    await pg?.end();
    await my?.end();
  }
  return ended;
}

describe.each([
  ['postgres', 'parallel'],
  ['mysql', 'parallel'],
  ['postgres', 'transactional'],
] as const)('apply: transient errors, graceful shutdown and metrics into a %s target, %s mode', (kind, mode) => {
  let fixture: PipelineFixture;
  let capture: PaysyncProcess;
  let apply: PaysyncProcess;
  /** One for both tests: it numbers the accounts it opens. */
  let workload: PaymentsWorkload;

  beforeAll(async () => {
    fixture = await PipelineFixture.create(kind);
    capture = await fixture.startCapture({ PAYSYNC_TRANSACTION_TOPIC: String(mode === 'transactional') });
    apply = fixture.startApply({ PAYSYNC_APPLY_MODE: mode });
    workload = new PaymentsWorkload(fixture.capture.db.pool);
  });
  afterAll(() => fixture.cleanup());

  it('retries in place while its target connections are killed under load, and ends equal with nothing lost or doubled', async () => {
    await fixture.waitEqual(capture);
    workload.start(3);
    let terminated = 0;
    try {
      await sleep(1000);
      terminated = await endTargetConnections(fixture.target, 5000);
    } finally {
      await workload.stop();
    }
    await fixture.waitEqual(capture);

    expect(terminated).toBeGreaterThan(0);
    expect(apply.child.exitCode).toBeNull();
    const metrics = await scrapeMetrics(httpAddressOf(apply, 'apply running'));
    expect(sampleValue(metrics, 'paysync_apply_retries_total')).toBeGreaterThan(0);
    // Retried, not mistaken for poison.
    expect(sampleValue(metrics, 'paysync_apply_dead_letters_total')).toBe(0);
    // Equal row for row covers the keys; the insert-only ledger has each source row exactly once.
    const [target] = await fixture.target.query(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM ${kind === 'postgres' ? 'public.ledger' : 'ledger'}`);
    const [ledger] = (await fixture.capture.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM ledger')).rows;
    expect({ n: Number(target.n), d: Number(target.d) }).toEqual({ n: Number(ledger.n), d: Number(ledger.n) });
    process.stdout.write(`${kind} ${mode} transient errors: ${terminated} target connections ended, ${sampleValue(metrics, 'paysync_apply_retries_total')} batch retries, ${ledger.n} ledger rows equal\n`);
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

    // Labelled with the target's table name.
    for (const table of PAYMENTS_TABLES.map((t) => (kind === 'postgres' ? t : t.split('.')[1]))) {
      expect({ table, rows: sampleValue(metrics, 'paysync_apply_rows_total', { table, op: 'upsert' }) }).toEqual({ table, rows: expect.any(Number) });
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
    const next = fixture.startApply({ PAYSYNC_APPLY_MODE: mode });
    await fixture.waitEqual(capture);
    const after = await scrapeMetrics(httpAddressOf(next, 'apply running'));
    // Without poison records every topic's counter is there at 0 (so the first dead letter is an increase).
    expect(after.filter((l) => l.startsWith('paysync_apply_dead_letters_total')).map((l) => Number(l.split(' ').pop()))).toEqual(expect.arrayContaining([0]));
    expect(after.filter((l) => l.startsWith('paysync_apply_dead_letters_total')).every((l) => Number(l.split(' ').pop()) === 0)).toBe(true);
    expect((await (await fetch(`${httpAddressOf(next, 'apply running')}/metrics`)).text())).toMatch(/# TYPE paysync_apply_dead_letters_total counter/);
    next.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  });
});
