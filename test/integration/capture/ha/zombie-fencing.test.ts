import { transactionTopicName } from '@paysync/contract';
import { PAYMENTS_TABLES, PaymentsWorkload, TOTAL_BALANCE } from '../../../../demo/payments-workload';
import { BalanceWatch, sumOfBalances } from '../../../support/balance-watch';
import { PipelineFixture } from '../../../support/pipeline-fixture';
import { waitUntil } from '../../../support/wait';
import { healthAddress, LOG, logged, loggedAt, replicaStory, running, streamingState, waitEventsSent, waitRole } from './replica-health';
import { timeTakeover } from './takeover-time';
import { topicProducers } from './topic-producers';

jest.setTimeout(420_000);

/**
 * The source ends the stream of a replica silent this long: then a standby may take over. 10 s is
 * the floor docs/high-availability.md gives: a new streaming term says nothing to the source until
 * Kafka acknowledged its first batch, which on a busy machine takes seconds (schemas, topics, the
 * fenced producer's transaction being aborted); below it, terms end one after another.
 */
const WAL_SENDER_TIMEOUT_MS = 3000;
const REPLICA = { PAYSYNC_TRANSACTION_TOPIC: 'true', PAYSYNC_WAL_SENDER_TIMEOUT_MS: String(WAL_SENDER_TIMEOUT_MS) };

/**
 * A streaming replica paused (SIGSTOP) past wal_sender_timeout: the source ends its stream, the
 * standby takes over, and Kafka fences the paused one's producer. Resumed, the old replica writes
 * nothing more and turns standby; the transactional apply downstream never shows a reader half a
 * source transaction and ends equal to the source.
 */
describe('capture replicas: a paused streaming replica is fenced', () => {
  let fixture: PipelineFixture;

  beforeAll(async () => {
    fixture = await PipelineFixture.create('postgres');
  });
  afterAll(() => fixture.cleanup());

  it('writes nothing after the takeover once resumed, turns standby, and the target never sees a wrong sum', async () => {
    const source = fixture.capture;
    const topics = [...PAYMENTS_TABLES.map((t) => source.topic(t)), transactionTopicName(source.prefix)];
    const zombie = await fixture.startCapture(REPLICA);
    await waitRole(zombie, 'streaming');
    const successor = source.startCapture(PAYMENTS_TABLES, REPLICA);
    await waitRole(successor, 'standby', { msg: LOG.standby, sinceMs: 0 });
    const apply = fixture.startApply({ PAYSYNC_APPLY_MODE: 'transactional' });
    await waitUntil(() => `the snapshot of accounts to be applied; apply output:\n${apply.output().slice(-2000)}`, async () => (await sumOfBalances(fixture.target)) === TOTAL_BALANCE, 120_000);

    const watch = new BalanceWatch(fixture.target);
    watch.start();
    const workload = new PaymentsWorkload(source.db.pool);
    workload.start(3);
    const zombieAddress = await healthAddress(zombie);
    const pauseAndResume = async () => {
      await waitEventsSent(zombie, 500);
      // Only the old replica has streamed so far: every producer on the topics is one of its.
      const zombieProducers = [...(await topicProducers(source.kafka, topics)).counts.keys()];
      const pausedAt = Date.now();
      zombie.kill('SIGSTOP');
      const takeover = await timeTakeover(successor, pausedAt);
      await waitEventsSent(successor, 500);
      // Taken while the old replica cannot move: its records on the topics now are all it may ever have there.
      const beforeResume = await topicProducers(source.kafka, topics);
      const resumedAt = Date.now();
      zombie.kill('SIGCONT');
      await waitRole(zombie, 'standby');
      const standbyAfterMs = Date.now() - resumedAt;
      const zombieEventsAsStandby = (await streamingState(zombieAddress))?.events;
      await waitEventsSent(successor, 500);
      return { zombieProducers, pausedAt, resumedAt, takeoverMs: takeover.ms, standbyAfterMs, beforeResume, zombieEventsAsStandby };
    };
    const { zombieProducers, pausedAt, resumedAt, takeoverMs, standbyAfterMs, beforeResume, zombieEventsAsStandby } = await pauseAndResume()
      .finally(() => workload.stop())
      .then(async (phases) => {
        await fixture.waitEqual(successor);
        return phases;
      })
      .finally(() => watch.stop());
    const atEnd = await topicProducers(source.kafka, topics);
    const zombieEventsAtEnd = (await streamingState(zombieAddress))?.events;
    const ofZombie = (counts: Map<string, number>) => zombieProducers.map((producer) => [producer, counts.get(producer) ?? 0]);
    process.stdout.write(
      `zombie fencing: takeover ${takeoverMs} ms after SIGSTOP (wal_sender_timeout ${WAL_SENDER_TIMEOUT_MS} ms), standby ${standbyAfterMs} ms after SIGCONT (${resumedAt - pausedAt} ms after SIGSTOP); ` +
        `old replica's producers ${zombieProducers.join(', ')}; records by producer id/epoch before SIGCONT ${JSON.stringify(Object.fromEntries(beforeResume.counts))}, ` +
        `at the end ${JSON.stringify(Object.fromEntries(atEnd.counts))}; ${workload.transactions} source transactions, ${watch.reads} reads of the target's sum\n` +
        `old replica since SIGSTOP (ms after it):\n${replicaStory(zombie, pausedAt)}\nsuccessor since SIGSTOP:\n${replicaStory(successor, pausedAt)}\n`,
    );

    // The old replica's producers have exactly the records they had when it was fenced, and none came after a newer one.
    expect(logged(zombie, LOG.streaming).filter((l) => loggedAt(l) < pausedAt)).toHaveLength(1);
    expect(ofZombie(atEnd.counts)).toEqual(ofZombie(beforeResume.counts));
    expect(atEnd.afterFencing).toEqual([]);
    expect(zombieEventsAtEnd).toBe(zombieEventsAsStandby);
    expect(logged(zombie, LOG.streaming, pausedAt)).toEqual([]);
    expect(logged(successor, LOG.steppedDown)).toEqual([]);
    expect(running(zombie)).toBe(true);
    expect(watch.off.slice(0, 10)).toEqual([]);
    expect(watch.reads).toBeGreaterThan(100);
  });
});
