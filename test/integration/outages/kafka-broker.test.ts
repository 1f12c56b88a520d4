import { unreachableLines } from '../../support/dependency-outage';
import { httpAddressOf } from '../../support/metrics-scrape';
import { startPrivateKafka, type PrivateKafka } from '../../support/private-kafka';
import { waitUntil } from '../../support/wait';
import type { PaysyncProcess } from '../../support/paysync-process';
import { LOG, logged, loggedAt, readyStatus, replicaStory, running, waitEventsSent, waitRole } from '../capture/ha/replica-health';
import { OutagePipeline } from './outage-pipeline';

jest.setTimeout(600_000);

/** How many times it said since `sinceMs` that the brokers do not answer (one line per retry period). */
const kafkaErrors = (p: PaysyncProcess, sinceMs: number): number => unreachableLines(p, 'PAYSYNC_KAFKA_BROKERS').filter((l) => loggedAt(l) >= sinceMs).length;

/**
 * The whole pipeline on a Kafka of the test's own (the stack's broker is shared, never killed):
 * capture and an apply into PostgreSQL and into MariaDB, under the payments load, while the broker
 * is SIGKILLed and started again. Every process waits it out in place.
 */
describe('outage: the Kafka broker is killed and restarted', () => {
  let kafka: PrivateKafka;
  let pipeline: OutagePipeline;

  beforeAll(async () => {
    kafka = await startPrivateKafka();
    pipeline = await OutagePipeline.create({ kafkaBrokers: kafka.brokers });
  });
  afterAll(async () => {
    try {
      await pipeline?.cleanup();
    } finally {
      await kafka?.stop();
    }
  });

  it('capture and both applies ride it out; the targets end equal to the source, money conserved, no dead letters', async () => {
    await pipeline.start();
    const { capture, workload } = pipeline;
    const killedAt = Date.now();
    await kafka.kill();
    const during = workload.transactions;
    await waitUntil(
      () => `capture to turn not ready with Kafka away; it said:\n${replicaStory(capture, killedAt)}`,
      async () => (await readyStatus(httpAddressOf(capture, LOG.listening))) === 503 || !running(capture),
      120_000,
      100,
    );
    // Down until every process felt it: capture's streaming term ended on Kafka (it recovers in
    // place), each apply's consumer lost the broker; meanwhile the source commits on, into the slot.
    await waitUntil(
      () => `capture to recover in place and each apply to lose the broker; capture said:\n${replicaStory(capture, killedAt)}`,
      () =>
        pipeline.exitedByThemselves().length > 0 ||
        (logged(capture, LOG.recovering, killedAt).length > 0 && pipeline.targets.every(({ apply }) => kafkaErrors(apply, killedAt) > 0) && workload.transactions >= during + 200),
      180_000,
      500,
    );
    expect(pipeline.exitedByThemselves()).toEqual([]);
    const applyErrors = pipeline.targets.map(({ kind, apply }) => `${kind} ${kafkaErrors(apply, killedAt)}`);
    const downMs = Date.now() - killedAt;
    const restartedAt = Date.now();
    await kafka.start();
    await waitRole(capture, 'streaming', undefined, 180_000);
    const backMs = Date.now() - restartedAt;
    await waitEventsSent(capture, 300, 120_000);

    const summary = await pipeline.expectIntact();
    process.stdout.write(`kafka outage: broker down ${downMs} ms, capture streaming again ${backMs} ms after it started; lines of the applies saying Kafka is unreachable meanwhile: ${applyErrors.join(', ')}; ${summary}\n`);
  });
});
