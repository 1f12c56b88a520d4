import { PipelineFixture } from '../../support/pipeline-fixture';
import { expectKilled, type PaysyncProcess } from '../../support/paysync-process';
import { PaymentsWorkload, TOTAL_BALANCE } from '../../../demo/payments-workload';
import { sleep } from '../../support/wait';

jest.setTimeout(600_000);

describe.each(['postgres', 'mysql'] as const)('pipeline crash safety into a %s target', (targetKind) => {
  let fixture: PipelineFixture;

  beforeAll(async () => {
    fixture = await PipelineFixture.create(targetKind);
  });
  afterAll(() => fixture.cleanup());

  it('loses and duplicates nothing when apply and capture are SIGKILLed at random moments under load', async () => {
    let capture: PaysyncProcess = await fixture.startCapture();
    let apply = fixture.startApply();
    const workload = new PaymentsWorkload(fixture.capture.db.pool);
    workload.start(4);
    const kills: string[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        await sleep(1000 + Math.random() * 2500);
        if (Math.random() < 0.65) {
          apply.kill('SIGKILL');
          await expectKilled(apply);
          apply = fixture.startApply();
          kills.push('apply');
        } else {
          capture.kill('SIGKILL');
          await expectKilled(capture);
          capture = fixture.capture.startCapture(['public.accounts', 'public.transfers', 'public.ledger']);
          kills.push('capture');
        }
      }
      await sleep(2000);
    } finally {
      await workload.stop();
    }
    await fixture.waitEqual(capture);

    // Equal row for row covers the ledger too (every id once, with its amount); the money adds up.
    const accounts = targetKind === 'postgres' ? 'public.accounts' : 'accounts';
    const ledger = targetKind === 'postgres' ? 'public.ledger' : 'ledger';
    const [total] = await fixture.target.query(`SELECT CAST(sum(balance) AS ${targetKind === 'postgres' ? 'text' : 'CHAR'}) AS total FROM ${accounts}`);
    expect(String(total.total)).toBe(TOTAL_BALANCE);
    const [entries] = await fixture.target.query(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM ${ledger}`);
    const [sourceEntries] = (await fixture.capture.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM ledger')).rows;
    expect(String(entries.n)).toBe(sourceEntries.n);
    expect(String(entries.d)).toBe(sourceEntries.n);
    process.stdout.write(`${targetKind} crash safety: ${workload.transactions} transactions, SIGKILLs: ${kills.join(', ')}; ledger ${sourceEntries.n} rows, target equal\n`);
  });
});
