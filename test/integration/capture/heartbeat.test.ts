import { lsnToBigInt } from '@paysync/postgres';
import { CaptureFixture } from '../../support/capture-fixture';
import { sleep, waitUntil } from '../../support/wait';

jest.setTimeout(120_000);

describe('capture on an idle source', () => {
  let fixture: CaptureFixture;

  beforeAll(async () => {
    fixture = await CaptureFixture.create([`CREATE TABLE public.quiet (id int PRIMARY KEY)`]);
  });
  afterAll(() => fixture.cleanup());

  async function confirmed(): Promise<bigint> {
    const { rows } = await fixture.db.pool.query<{ lsn: string | null }>('SELECT confirmed_flush_lsn AS lsn FROM pg_replication_slots WHERE slot_name = $1', [fixture.slot]);
    return rows[0]?.lsn ? lsnToBigInt(rows[0].lsn) : 0n;
  }

  it('keeps advancing the slot with heartbeats when nothing is written', async () => {
    const capture = await fixture.startCaptureStreaming(['public.quiet'], { PAYSYNC_HEARTBEAT_INTERVAL_MS: '300' });
    await waitUntil('the slot to be confirmed once', async () => (await confirmed()) > 0n, 60_000);
    const samples: bigint[] = [await confirmed()];
    for (let i = 0; i < 3; i++) {
      await sleep(2000);
      samples.push(await confirmed());
    }
    for (let i = 1; i < samples.length; i++) expect(samples[i]).toBeGreaterThan(samples[i - 1]);
    capture.kill('SIGTERM');
    expect(await capture.exited).toBe(0);
  });
});
