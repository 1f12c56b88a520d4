import { PaymentsWorkload } from '../../../../demo/payments-workload';
import { httpAddressOf, sampleValue, scrapeMetrics } from '../../../support/metrics-scrape';
import { PipelineFixture } from '../../../support/pipeline-fixture';
import { startPrivatePostgres, type PrivatePostgres } from '../../../support/private-postgres';
import { waitUntil } from '../../../support/wait';
import { LOG, logged, loggedAt, running, waitEventsSent, waitRole } from './replica-health';

jest.setTimeout(420_000);

/** The restarts: one at once, one with the source down long enough for capture to retry with backoff. */
const RESTARTS = [{ downMs: 0 }, { downMs: 5000 }];

/**
 * Capture on a source of the test's own (a private cluster: the stack's PostgreSQL is shared, never
 * restarted), under a payments load, while the source is crashed and restarted (pg_ctl -m
 * immediate): capture recovers in place instead of exiting, streams again, and the stack's
 * PostgreSQL target applied from it ends equal to the source.
 */
describe('capture: the source restarts under it', () => {
  let cluster: PrivatePostgres;
  let fixture: PipelineFixture;

  beforeAll(async () => {
    cluster = await startPrivatePostgres();
    fixture = await PipelineFixture.create('postgres', cluster.url('postgres'));
  });
  afterAll(async () => {
    await fixture?.cleanup();
    await cluster?.stop();
  });

  it('recovers in place after each immediate restart and ends with the target equal to the source', async () => {
    const capture = await fixture.startCapture();
    fixture.startApply();
    const workload = new PaymentsWorkload(fixture.capture.db.pool, { rideOutOutages: true });
    workload.start(3);
    const recoveries: string[] = [];
    const restartAll = async () => {
      for (const { downMs } of RESTARTS) {
        await waitEventsSent(capture, 500);
        const restartedAt = Date.now();
        await cluster.restartImmediate(downMs);
        await waitUntil(
          () => `capture to log "${LOG.recovering}" after the restart; output:\n${capture.output().slice(-3000)}`,
          () => logged(capture, LOG.recovering, restartedAt).length > 0 || !running(capture),
          60_000,
        );
        if (!running(capture)) throw new Error(`capture exited after the source restarted:\n${capture.output().slice(-4000)}\nsource log:\n${cluster.logTail()}`);
        await waitRole(capture, 'streaming', { msg: LOG.streaming, sinceMs: restartedAt }, 120_000);
        const back = loggedAt(logged(capture, LOG.streaming, restartedAt)[0]);
        const reasons = logged(capture, LOG.recovering, restartedAt).map((l) => `${String(l.reason)} (${String((l.err as { message?: string })?.message)}; retry in ${String(l.retryInMs)} ms)`);
        recoveries.push(`down ${downMs} ms: streaming again ${back - restartedAt} ms after the crash; recovering: ${reasons.join(', ')}`);
      }
      await waitEventsSent(capture, 500);
    };
    await restartAll().finally(() => workload.stop());
    await fixture.waitEqual(capture);

    const metrics = await scrapeMetrics(httpAddressOf(capture, LOG.listening));
    const recovered = metrics.filter((l) => l.startsWith('paysync_capture_recoveries_total')).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    process.stdout.write(
      `source restart: ${recoveries.join('; ')}; paysync_capture_recoveries_total ${recovered}; ` +
        `${workload.transactions} source transactions, ${workload.interrupted} cut off by the restarts\n`,
    );
    expect(running(capture)).toBe(true);
    expect(recovered).toBeGreaterThanOrEqual(RESTARTS.length);
    expect(sampleValue(metrics, 'paysync_capture_streaming')).toBe(1);
  });
});
