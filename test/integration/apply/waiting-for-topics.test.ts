import { PipelineFixture } from '../../support/pipeline-fixture';
import { waitUntil } from '../../support/wait';

jest.setTimeout(180_000);

/** Apply started before capture waits for the topics, and says what creates them. */
describe('apply waiting for its topics', () => {
  let fixture: PipelineFixture;

  beforeAll(async () => {
    fixture = await PipelineFixture.create('postgres');
  });
  afterAll(() => fixture.cleanup());

  it('in transactional mode names PAYSYNC_TRANSACTION_TOPIC, which capture needs for the transaction topic', async () => {
    const apply = fixture.startApply({ PAYSYNC_APPLY_MODE: 'transactional' });
    const waiting = () => apply.logs().find((l) => l.msg === 'start-up: topics to read not ready, retrying');
    await waitUntil(() => `apply to say it waits for its topics; output:\n${apply.output().slice(-2000)}`, async () => waiting() !== undefined, 120_000);
    const message = String((waiting()?.err as { message?: string }).message);
    expect(message).toContain(`${fixture.capture.prefix}.transactions`);
    expect(message).toContain('PAYSYNC_TRANSACTION_TOPIC=true');
    expect(apply.child.exitCode).toBeNull();
  });
});
