import { CaptureFixture } from '../../support/capture-fixture';
import { sleep, waitUntil } from '../../support/wait';

jest.setTimeout(900_000);

const ROWS = 1_000_000;

describe('snapshot of a large table while writes continue', () => {
  let fixture: CaptureFixture;

  beforeAll(async () => {
    fixture = await CaptureFixture.create([
      `CREATE TABLE public.payments (id bigint PRIMARY KEY, amount numeric(20,4) NOT NULL, state text NOT NULL)`,
      `INSERT INTO public.payments SELECT g, g / 100.0, 'new' FROM generate_series(1, ${ROWS}) g`,
    ]);
  });
  afterAll(() => fixture.cleanup());

  it('ends with the newest event per key equal to the source', async () => {
    const capture = fixture.startCapture(['public.payments'], { PAYSYNC_SNAPSHOT_CHUNK_ROWS: '20000' });
    let writing = true;
    let writes = 0;
    const writer = (async () => {
      while (writing) {
        const id = 1 + Math.floor(Math.random() * ROWS);
        const op = Math.random();
        if (op < 0.6) await fixture.db.pool.query(`UPDATE public.payments SET amount = amount + 0.0001, state = 'settled' WHERE id = $1`, [id]);
        else if (op < 0.8) await fixture.db.pool.query(`DELETE FROM public.payments WHERE id = $1`, [id]);
        else await fixture.db.pool.query(`INSERT INTO public.payments VALUES ($1, 1.2345, 'late') ON CONFLICT (id) DO UPDATE SET state = 'revived'`, [ROWS + 1 + Math.floor(Math.random() * 1000)]);
        writes += 1;
      }
    })();
    const started = Date.now();
    await waitUntil('the snapshot to finish', async () => capture.logs().some((l) => l.msg === 'snapshot of table done'), 800_000, 1000);
    const seconds = (Date.now() - started) / 1000;
    await sleep(1000);
    writing = false;
    await writer;
    await fixture.waitCaughtUp(capture);
    const { records } = await fixture.expectTopicEqualsSource('public.payments');
    process.stdout.write(`snapshot under writes: ${ROWS} rows snapshotted in ${seconds.toFixed(1)} s (${Math.round(ROWS / seconds)} rows/s) with ${writes} concurrent writes; ${records.length} records checked\n`);
    capture.kill('SIGTERM');
    expect(await capture.exited).toBe(0);
  });
});
