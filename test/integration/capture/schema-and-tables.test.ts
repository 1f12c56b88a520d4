import { CaptureFixture } from '../../support/capture-fixture';
import { startPaysync } from '../../support/paysync-process';
import { readTopic } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';

jest.setTimeout(240_000);

async function metric(capture: { logs: () => Record<string, unknown>[] }, name: string): Promise<string> {
  const started = capture.logs().find((l) => l.msg === 'capture streaming');
  const res = await fetch(`${String(started?.http)}/metrics`);
  const text = await res.text();
  return text.split('\n').filter((l) => l.startsWith(name)).join('\n');
}

describe('capture start-up checks', () => {
  let fixture: CaptureFixture;
  beforeAll(async () => {
    fixture = await CaptureFixture.create([`CREATE TABLE public.no_pk (a int, b text)`, `CREATE TABLE public.ok (id int PRIMARY KEY)`]);
  });
  afterAll(() => fixture.cleanup());

  it('exits non-zero naming each problem and the SQL that fixes it', async () => {
    const capture = fixture.startCapture(['public.no_pk', 'public.missing', 'public.ok']);
    expect(await capture.exited).toBe(1);
    const out = capture.output();
    expect(out).toContain('table public.no_pk has no primary key');
    expect(out).toContain('ALTER TABLE \\"public\\".\\"no_pk\\" ADD PRIMARY KEY');
    expect(out).toContain('table public.missing does not exist');
  });

  it('rejects a source URL that is not PostgreSQL before connecting', async () => {
    const capture = startPaysync('capture', { ...fixture.env(['public.ok']), PAYSYNC_SOURCE_URL: 'mysql://x@y/z' });
    expect(await capture.exited).toBe(2);
    expect(capture.output()).toContain('PAYSYNC_SOURCE_URL=(secret value hidden) must start with postgres://');
  });
});

describe('capture across schema changes and added tables', () => {
  let fixture: CaptureFixture;
  beforeAll(async () => {
    fixture = await CaptureFixture.create([
      `CREATE TABLE public.orders (id int PRIMARY KEY, total numeric(12,2) NOT NULL, qty int NOT NULL DEFAULT 1)`,
      `CREATE TABLE public.refunds (id int PRIMARY KEY, order_id int NOT NULL, amount numeric(12,2) NOT NULL)`,
      `INSERT INTO public.orders VALUES (1, 10.00, 1)`,
      `INSERT INTO public.refunds SELECT g, g, 1.50 FROM generate_series(1, 25) g`,
    ]);
  });
  afterAll(() => fixture.cleanup());

  it('registers a new schema version on add/drop column and keeps streaming', async () => {
    const capture = await fixture.startCaptureStreaming(['public.orders']);
    await fixture.db.pool.query(`INSERT INTO public.orders VALUES (2, 20.00)`);
    await fixture.waitCaughtUp(capture);
    await fixture.db.pool.query(`ALTER TABLE public.orders ADD COLUMN note text`);
    await fixture.db.pool.query(`INSERT INTO public.orders VALUES (3, 30.00, 1, 'with note')`);
    await fixture.db.pool.query(`ALTER TABLE public.orders DROP COLUMN note`);
    await fixture.db.pool.query(`INSERT INTO public.orders VALUES (4, 40.00)`);
    await fixture.waitCaughtUp(capture);
    const records = await readTopic(fixture.kafka, fixture.topic('public.orders'));
    const byId = new Map(records.map((r) => [String(r.value?.after?.id), { ...r.value?.after }]));
    expect(byId.get('3')).toEqual({ id: 3, total: '30.00', qty: 1, note: 'with note' });
    expect(byId.get('4')).toEqual({ id: 4, total: '40.00', qty: 1 });
    expect(await metric(capture, 'paysync_capture_schema_changes_total')).toContain('table="public.orders"');

    // Adding a table later snapshots just that table; the first is not copied again.
    capture.kill('SIGTERM');
    expect(await capture.exited).toBe(0);
    const ordersBefore = records.length;
    const second = await fixture.startCaptureStreaming(['public.orders', 'public.refunds']);
    await waitUntil('refunds snapshot', async () => second.logs().some((l) => l.msg === 'snapshot of table done' && l.table === 'public.refunds'), 90_000);
    await fixture.db.pool.query(`INSERT INTO public.orders VALUES (5, 50.00)`);
    await fixture.waitCaughtUp(second);
    const refunds = await readTopic(fixture.kafka, fixture.topic('public.refunds'));
    expect(refunds.filter((r) => r.value?.op === 'r')).toHaveLength(25);
    const orders = await readTopic(fixture.kafka, fixture.topic('public.orders'));
    expect(orders.slice(ordersBefore).map((r) => r.value?.op)).toEqual(['c']);
    await fixture.expectTopicEqualsSource('public.refunds');

    // An incompatible change stops capture with a clear error and a metric, without exiting in a loop.
    // (int -> text: Avro has no such promotion, so BACKWARD compatibility refuses it.)
    await fixture.db.pool.query(`ALTER TABLE public.orders ALTER COLUMN qty TYPE text`);
    await fixture.db.pool.query(`INSERT INTO public.orders VALUES (6, 60.00, 'six')`);
    await waitUntil('capture to stop on the incompatible change', () => second.output().includes('incompatible schema change'), 60_000);
    expect(await metric(second, 'paysync_capture_schema_incompatible')).toMatch(/table=".*orders".* 1/);
    expect(second.child.exitCode).toBeNull();
    second.kill('SIGTERM');
    await second.exited;
  });
});
