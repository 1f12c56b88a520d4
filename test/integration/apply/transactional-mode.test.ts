import { PipelineFixture } from '../../support/pipeline-fixture';
import { PaymentsWorkload, TOTAL_BALANCE } from '../../../demo/payments-workload';
import { BalanceWatch, sumOfBalances } from '../../support/balance-watch';
import { sleep, waitUntil } from '../../support/wait';

jest.setTimeout(300_000);

describe('transaction-consistent apply', () => {
  let fixture: PipelineFixture;

  beforeAll(async () => {
    fixture = await PipelineFixture.create('postgres');
  });
  afterAll(() => fixture.cleanup());

  it('never shows a reader of the target a sum of balances other than the source total', async () => {
    const capture = await fixture.startCapture({ PAYSYNC_TRANSACTION_TOPIC: 'true' });
    const apply = fixture.startApply({ PAYSYNC_APPLY_MODE: 'transactional' });
    // The initial snapshot arrives first; from then on every target commit holds whole source transactions.
    await waitUntil(() => `the snapshot of accounts to be applied; apply output:\n${apply.output().slice(-2000)}`, async () => (await sumOfBalances(fixture.target)) === TOTAL_BALANCE, 120_000);

    const workload = new PaymentsWorkload(fixture.capture.db.pool);
    const watch = new BalanceWatch(fixture.target);
    workload.start(4);
    watch.start();
    await sleep(10_000);
    await watch.stop();
    await workload.stop();
    await fixture.waitEqual(capture);

    expect(watch.off.slice(0, 10)).toEqual([]);
    expect(watch.reads).toBeGreaterThan(100);
    const applied = await fixture.target.query(`SELECT count(*)::int AS n FROM public.transfers`);
    expect(Number(applied[0].n)).toBeGreaterThan(0);
    process.stdout.write(`transactional mode: ${workload.transactions} source transactions, ${watch.reads} reads of the target's sum, none off\n`);
  });
});
