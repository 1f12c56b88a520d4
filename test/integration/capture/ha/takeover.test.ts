import { PAYMENTS_DDL, PAYMENTS_TABLES, PaymentsWorkload } from '../../../../demo/payments-workload';
import { CaptureFixture } from '../../../support/capture-fixture';
import { expectKilled, type PaysyncProcess } from '../../../support/paysync-process';
import { LOG, running, waitEventsSent, waitRole } from './replica-health';
import { StreamingSampler } from './streaming-sampler';
import { timeTakeover, type Takeover } from './takeover-time';
import { topicProducers } from './topic-producers';
import { waitUntil } from '../../../support/wait';

jest.setTimeout(420_000);

const KILLS = 3;
const TAKEOVER_LIMIT_MS = 5000;

/**
 * Two capture replicas of one slot under a payments load; the streaming one is SIGKILLed three
 * times, each time replaced by a new standby. The other takes over within 5 s, no instant shows
 * both streaming, and the topics end with every key's newest event equal to the source.
 */
describe('capture replicas: takeover after the streaming replica is killed', () => {
  let source: CaptureFixture;

  beforeAll(async () => {
    source = await CaptureFixture.create(PAYMENTS_DDL);
  });
  afterAll(() => source.cleanup());

  it('hands the slot over within 5 s each time, never with two replicas streaming, losing nothing', async () => {
    const replicas: PaysyncProcess[] = [];
    const startStandby = async (): Promise<PaysyncProcess> => {
      const replica = source.startCapture(PAYMENTS_TABLES);
      replicas.push(replica);
      await waitRole(replica, 'standby', { msg: LOG.standby, sinceMs: 0 });
      return replica;
    };
    let streaming = await source.startCaptureStreaming(PAYMENTS_TABLES);
    replicas.push(streaming);
    await waitRole(streaming, 'streaming');
    let standby = await startStandby();

    const sampler = new StreamingSampler(() => replicas);
    sampler.start();
    const workload = new PaymentsWorkload(source.db.pool);
    workload.start(3);
    const takeovers: Takeover[] = [];
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        // Under load, mid-stream: the streaming replica has been sending for a while.
        await waitEventsSent(streaming, 500);
        const killedAt = Date.now();
        streaming.kill('SIGKILL');
        takeovers.push(await timeTakeover(standby, killedAt));
        await expectKilled(streaming);
        streaming = standby;
        standby = await startStandby();
      }
      await waitEventsSent(streaming, 500);
      // The kills can be over within seconds: watch on under load until the sampler has seen enough.
      await waitUntil(() => `the sampler to watch the replicas for 60 rounds (${sampler.rounds} so far)`, () => sampler.rounds > 60, 120_000, 100);
    } finally {
      await workload.stop();
      await sampler.stop();
    }
    takeovers.forEach((t, i) => process.stdout.write(`takeover ${i + 1}: ${t.ms} ms (log line ${t.byLogMs} ms, first /readyz 200 ${t.byReadyMs} ms)\n`));
    process.stdout.write(
      `takeover: ${workload.transactions} source transactions, ${sampler.rounds} sampling rounds (${sampler.missedLive} scrapes of a live replica unanswered), ${sampler.overlaps.length} with two streaming\n`,
    );

    await source.waitCaughtUp(streaming);
    for (const table of PAYMENTS_TABLES) await source.expectTopicEqualsSource(table);
    const { afterFencing, counts } = await topicProducers(source.kafka, PAYMENTS_TABLES.map((t) => source.topic(t)));
    process.stdout.write(`takeover: records by producer id/epoch: ${JSON.stringify(Object.fromEntries(counts))}\n`);

    expect(takeovers.filter((t) => t.ms > TAKEOVER_LIMIT_MS)).toEqual([]);
    expect(sampler.overlaps).toEqual([]);
    expect(sampler.rounds).toBeGreaterThan(50);
    expect(afterFencing).toEqual([]);
    expect([streaming, standby].filter((r) => !running(r)).map((r) => r.output().slice(-2000))).toEqual([]);
  });
});
