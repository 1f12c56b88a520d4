import { PipelineFixture } from '../../support/pipeline-fixture';
import { PaymentsWorkload, TOTAL_BALANCE } from '../../../demo/payments-workload';
import { sleep } from '../../support/wait';

jest.setTimeout(420_000);

describe.each(['postgres', 'mysql'] as const)('payments pipeline into a %s target', (targetKind) => {
  let fixture: PipelineFixture;

  beforeAll(async () => {
    fixture = await PipelineFixture.create(targetKind);
  });
  afterAll(() => fixture.cleanup());

  it('ends with the target equal to the source after a concurrent payments load', async () => {
    const capture = await fixture.startCapture();
    const apply = fixture.startApply();
    const workload = new PaymentsWorkload(fixture.capture.db.pool);
    workload.start(4);
    await sleep(8000);
    await workload.stop();
    await fixture.waitEqual(capture);

    const total = await fixture.target.query(targetKind === 'postgres' ? 'SELECT sum(balance)::text AS total FROM public.accounts' : 'SELECT CAST(sum(balance) AS CHAR) AS total FROM accounts');
    expect(String(total[0].total)).toBe(TOTAL_BALANCE);
    process.stdout.write(`${targetKind} pipeline: ${workload.transactions} source transactions applied, target equal\n`);

    apply.kill('SIGTERM');
    expect(await apply.exited).toBe(0);
    capture.kill('SIGTERM');
    expect(await capture.exited).toBe(0);
  });
});
