import { startPrivatePostgres, type PrivatePostgres } from '../../support/private-postgres';
import { waitUntil } from '../../support/wait';
import { LOG, logged, running, waitEventsSent, waitRole } from '../capture/ha/replica-health';
import { OutagePipeline } from './outage-pipeline';

jest.setTimeout(600_000);

/** How long the source stays down after the crash: long enough for capture to retry with backoff. */
const DOWN_MS = 5000;

/**
 * The whole pipeline under the payments load with its source on a cluster of the test's own (the
 * stack's PostgreSQL is shared, never restarted), crashed and restarted (pg_ctl -m immediate):
 * capture recovers in place, the applies into PostgreSQL and MariaDB (on the stack) never notice
 * more than a pause, and both targets end equal to the source.
 */
describe('outage: the source PostgreSQL restarts in immediate mode', () => {
  let cluster: PrivatePostgres;
  let pipeline: OutagePipeline;

  beforeAll(async () => {
    cluster = await startPrivatePostgres();
    pipeline = await OutagePipeline.create({ sourceAdminUrl: cluster.url('postgres'), rideOutOutages: true });
  });
  afterAll(async () => {
    try {
      await pipeline?.cleanup();
    } finally {
      await cluster?.stop();
    }
  });

  it('capture recovers in place, no process exits, and both targets end equal to the source', async () => {
    await pipeline.start();
    const { capture } = pipeline;
    const restartedAt = Date.now();
    await cluster.restartImmediate(DOWN_MS);
    await waitUntil(
      () => `capture to log "${LOG.recovering}" after the restart; output:\n${capture.output().slice(-3000)}`,
      () => logged(capture, LOG.recovering, restartedAt).length > 0 || !running(capture),
      60_000,
    );
    expect(pipeline.exitedByThemselves()).toEqual([]);
    await waitRole(capture, 'streaming', { msg: LOG.streaming, sinceMs: restartedAt }, 180_000);
    const backMs = Date.now() - restartedAt;
    await waitEventsSent(capture, 300, 120_000);

    const summary = await pipeline.expectIntact();
    const reasons = logged(capture, LOG.recovering, restartedAt).map((l) => String(l.reason));
    process.stdout.write(`source restart: down ${DOWN_MS} ms, capture streaming again ${backMs} ms after the crash (recovering: ${reasons.join(', ')}); ${summary}\n`);
  });
});
