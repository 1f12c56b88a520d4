import { PipelineFixture } from '../../support/pipeline-fixture';
import { PaymentsWorkload, TOTAL_BALANCE } from '../../../demo/payments-workload';
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
    const sumOfBalances = async (): Promise<string | null> => {
      const [row] = await fixture.target.query('SELECT sum(balance)::text AS total FROM public.accounts').catch(() => [{ total: null }]);
      return row.total as string | null;
    };
    // The initial snapshot arrives first; from then on every target commit holds whole source transactions.
    await waitUntil(() => `the snapshot of accounts to be applied; apply output:\n${apply.output().slice(-2000)}`, async () => (await sumOfBalances()) === TOTAL_BALANCE, 120_000);

    const workload = new PaymentsWorkload(fixture.capture.db.pool);
    workload.start(4);
    const seen: string[] = [];
    let reads = 0;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const total = await sumOfBalances();
      reads += 1;
      if (total !== TOTAL_BALANCE) seen.push(String(total));
      await sleep(10);
    }
    await workload.stop();
    await fixture.waitEqual(capture);

    expect(seen.slice(0, 10)).toEqual([]);
    expect(reads).toBeGreaterThan(100);
    const applied = await fixture.target.query(`SELECT count(*)::int AS n FROM public.transfers`);
    expect(Number(applied[0].n)).toBeGreaterThan(0);
    process.stdout.write(`transactional mode: ${workload.transactions} source transactions, ${reads} reads of the target's sum, none off\n`);
  });
});
