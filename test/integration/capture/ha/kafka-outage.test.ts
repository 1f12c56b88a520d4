import { PAYMENTS_DDL, PAYMENTS_TABLES, PaymentsWorkload } from '../../../../demo/payments-workload';
import { CaptureFixture } from '../../../support/capture-fixture';
import { httpAddressOf, sampleValue, scrapeMetrics } from '../../../support/metrics-scrape';
import { startPrivateKafka, type PrivateKafka } from '../../../support/private-kafka';
import { waitUntil } from '../../../support/wait';
import { LOG, logged, readyStatus, replicaStory, running, waitEventsSent, waitRole } from './replica-health';

jest.setTimeout(420_000);

/**
 * Capture writing to a Kafka of the test's own (a private broker: the stack's is shared, never
 * killed), under a payments load, while the broker is SIGKILLed and started again later: capture
 * stays up and not ready while Kafka is away, then streams again, and every topic ends equal to
 * the source.
 */
describe('capture: Kafka goes away under it', () => {
  let kafka: PrivateKafka;
  let source: CaptureFixture;

  beforeAll(async () => {
    kafka = await startPrivateKafka();
    source = await CaptureFixture.create(PAYMENTS_DDL, undefined, kafka.brokers);
  });
  afterAll(async () => {
    await source?.cleanup();
    await kafka?.stop();
  });

  it('waits out a broker SIGKILL in place, not ready meanwhile, and loses nothing', async () => {
    const capture = await source.startCaptureStreaming(PAYMENTS_TABLES);
    const address = httpAddressOf(capture, LOG.listening);
    const workload = new PaymentsWorkload(source.db.pool);
    workload.start(2);
    let outage = '';
    try {
      await waitEventsSent(capture, 300);
      const killedAt = Date.now();
      await kafka.kill();
      const during = workload.transactions;
      await waitUntil(
        () => `capture to turn not ready with Kafka away; it said:\n${replicaStory(capture, killedAt)}`,
        async () => (await readyStatus(address)) === 503 || !running(capture),
        120_000,
        100,
      );
      // The source goes on committing while Kafka is away: those changes wait in the slot.
      await waitUntil('100 source transactions while Kafka is away', () => workload.transactions >= during + 100, 60_000);
      expect(running(capture)).toBe(true);
      const restartedAt = Date.now();
      await kafka.start();
      await waitRole(capture, 'streaming', undefined, 180_000);
      outage = `not ready within the outage, streaming again ${Date.now() - restartedAt} ms after the broker started; it said:\n${replicaStory(capture, killedAt)}`;
      await waitEventsSent(capture, 300);
    } finally {
      await workload.stop();
    }
    await source.waitCaughtUp(capture, 180_000);
    for (const table of PAYMENTS_TABLES) await source.expectTopicEqualsSource(table);

    const metrics = await scrapeMetrics(address);
    const produceErrors = sampleValue(metrics, 'paysync_capture_produce_errors_total') ?? 0;
    const recoveries = logged(capture, LOG.recovering).map((l) => String(l.reason));
    process.stdout.write(`kafka outage: ${workload.transactions} source transactions; recoveries ${JSON.stringify(recoveries)}, produce errors ${produceErrors}; ${outage}\n`);
    expect(running(capture)).toBe(true);
    expect(sampleValue(metrics, 'paysync_capture_streaming')).toBe(1);
  });
});
