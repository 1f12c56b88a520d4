import { PipelineFixture } from '../../support/pipeline-fixture';
import { PaymentsWorkload } from '../../../demo/payments-workload';
import { createScratchPostgresTarget, type ScratchTarget } from '../../support/target-databases';
import { uniqueName } from '../../support/fixtures';
import { sleep } from '../../support/wait';

jest.setTimeout(420_000);

describe('replay and the version guard', () => {
  let fixture: PipelineFixture;
  let empty: ScratchTarget | undefined;

  beforeAll(async () => {
    fixture = await PipelineFixture.create('postgres');
  });
  afterAll(async () => {
    await empty?.drop();
    await fixture.cleanup();
  });

  it('replaying applied offsets changes nothing, a replayed insert does not resurrect a deleted row, and replay builds an equal replica', async () => {
    const capture = await fixture.startCapture();
    const apply = fixture.startApply();
    const workload = new PaymentsWorkload(fixture.capture.db.pool);
    workload.start(3);
    await sleep(4000);
    await workload.stop();
    // An account that is opened and closed again: its insert is in the topic before its delete.
    await fixture.capture.db.pool.query(`INSERT INTO accounts (id, owner, balance) VALUES (999999, 'short-lived', 0)`);
    await fixture.capture.db.pool.query('DELETE FROM accounts WHERE id = 999999');
    await fixture.waitEqual(capture);
    apply.kill('SIGTERM');
    expect(await apply.exited).toBe(0);

    // Everything again, from earliest, under a new group: every change is older than the target's.
    const replay = fixture.runReplay({ PAYSYNC_GROUP_ID: uniqueName('paysync-replay') });
    expect(await replay.exited).toBe(0);
    expect(replay.output()).toMatch(/replay caught up/);
    const skipped = Number(/skipped as older than the target \(version guard\): ([\d,]+)/.exec(replay.output())?.[1].replace(/,/g, '') ?? 'NaN');
    expect(skipped).toBeGreaterThan(0);
    expect(await fixture.differences()).toEqual([]);
    expect(await fixture.target.query('SELECT id FROM public.accounts WHERE id = 999999')).toEqual([]);
    const marker = await fixture.target.query(`SELECT deleted FROM paysync.row_versions WHERE target_table = 'public.accounts' AND row_key = '["999999"]'`);
    expect(marker).toEqual([{ deleted: 't' }]);

    // A replica from nothing: the same code path into an empty database.
    empty = await createScratchPostgresTarget();
    const rebuild = fixture.runReplay({ PAYSYNC_GROUP_ID: uniqueName('paysync-rebuild'), PAYSYNC_TARGET_URL: empty.url });
    expect(await rebuild.exited).toBe(0);
    expect(await fixture.differences(empty)).toEqual([]);
    process.stdout.write(`replay: ${skipped} stale changes skipped; rebuild summary:\n${rebuild.output().split('replay caught up')[1] ?? rebuild.output()}\n`);
    capture.kill('SIGTERM');
    expect(await capture.exited).toBe(0);
  });
});
