import { CaptureFixture } from '../../support/capture-fixture';
import { topicRecordCount } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';

jest.setTimeout(900_000);

const ROWS = 1_000_000;

describe('capture of one very large transaction', () => {
  let fixture: CaptureFixture;

  beforeAll(async () => {
    fixture = await CaptureFixture.create([`CREATE TABLE public.ledger (id bigint PRIMARY KEY, amount numeric(20,4) NOT NULL, memo text NOT NULL)`]);
  });
  afterAll(() => fixture.cleanup());

  it(`captures all ${ROWS.toLocaleString('en')} rows of one transaction in bounded memory`, async () => {
    // The default in-flight bound: the peak RSS printed below is what a user gets.
    const capture = await fixture.startCaptureStreaming(['public.ledger']);
    const topic = fixture.topic('public.ledger');
    await waitUntil('the empty table snapshot', async () => capture.logs().some((l) => l.msg === 'snapshot of table done'), 60_000);
    const started = Date.now();
    await fixture.db.pool.query(`INSERT INTO public.ledger SELECT g, (g % 100000) / 7.0, 'ledger entry ' || g FROM generate_series(1, ${ROWS}) g`);
    const sampler = setInterval(() => capture.peakRssBytes(), 200);
    try {
      await fixture.waitCaughtUp(capture, 800_000);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    const peak = capture.peakRssBytes();
    expect(await topicRecordCount(fixture.kafka, topic)).toBe(ROWS);
    process.stdout.write(
      `large transaction: ${ROWS} rows captured in ${seconds.toFixed(1)} s (${Math.round(ROWS / seconds)} rows/s incl. commit); capture peak RSS ${(peak / 1024 / 1024).toFixed(0)} MiB\n`,
    );
    expect(peak).toBeGreaterThan(0);
    capture.kill('SIGTERM');
    expect(await capture.exited).toBe(0);
  });
});
