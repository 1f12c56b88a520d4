import { CaptureFixture, stableJson } from '../../support/capture-fixture';
import type { PaysyncProcess } from '../../support/paysync-process';
import { readTopic } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';

jest.setTimeout(300_000);

const FULL = 'public.refunds';
const KEYED = 'public.fees';
const BIG = 'public.settlements';
const BIG_ROWS = 60_000;
const CHUNK_ROWS = 2000;

/** Prometheus text lines of one metric family. */
async function metricLines(capture: PaysyncProcess, name: string): Promise<string[]> {
  const started = capture.logs().find((l) => l.msg === 'capture streaming');
  const text = await (await fetch(`${String(started?.http)}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

function metricValue(lines: string[], labels: Record<string, string> = {}): number | undefined {
  const line = lines.find((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('capture events, snapshot resume and metrics', () => {
  let fixture: CaptureFixture;

  beforeAll(async () => {
    fixture = await CaptureFixture.create([
      `CREATE TABLE ${FULL} (id bigint PRIMARY KEY, amount numeric(20,4) NOT NULL, state text NOT NULL)`,
      `ALTER TABLE ${FULL} REPLICA IDENTITY FULL`,
      `CREATE TABLE ${KEYED} (id bigint PRIMARY KEY, amount numeric(20,4) NOT NULL)`,
      `CREATE TABLE ${BIG} (id bigint PRIMARY KEY, amount numeric(20,4) NOT NULL)`,
      `INSERT INTO ${BIG} SELECT g, g / 100.0 FROM generate_series(1, ${BIG_ROWS}) g`,
    ]);
  });
  afterAll(() => fixture.cleanup());

  it('resumes a snapshot killed midway after its last acknowledged chunk, then streams before images, deletes with tombstones and truncates, with metrics', async () => {
    const tables = [FULL, KEYED, BIG];
    const settings = { PAYSYNC_SNAPSHOT_CHUNK_ROWS: String(CHUNK_ROWS) };
    const first = fixture.startCapture(tables, settings);
    // Killed once a few chunks are acknowledged, well before the end.
    const chunksDone = async () => Number((await fixture.db.pool.query<{ rows: string }>(`SELECT coalesce(sum(rows_done), 0) AS rows FROM paysync.capture_snapshot_progress WHERE slot_name = $1`, [fixture.slot]).catch(() => ({ rows: [{ rows: '0' }] }))).rows[0].rows);
    await waitUntil(() => `snapshot progress; capture said:\n${first.output().slice(-2000)}`, async () => (await chunksDone()) >= 3 * CHUNK_ROWS, 120_000, 20);
    first.kill('SIGKILL');
    await first.exited;
    const doneBeforeKill = await chunksDone();
    expect(doneBeforeKill).toBeLessThan(BIG_ROWS);

    const capture = await fixture.startCaptureStreaming(tables, settings);
    const resumedAt = () => capture.logs().find((l) => l.msg === 'snapshot of table starting' && l.table === BIG)?.resumeAfterRows;
    await waitUntil('the snapshot to start again', () => resumedAt() !== undefined, 60_000, 50);
    expect(Number(resumedAt())).toBeGreaterThanOrEqual(doneBeforeKill);
    await waitUntil('the snapshot to finish', () => capture.logs().some((l) => l.msg === 'snapshot of table done' && l.table === BIG), 240_000, 200);

    await fixture.db.pool.query(`INSERT INTO ${FULL} VALUES (1, 10.0000, 'new'), (2, 20.0000, 'new')`);
    await fixture.db.pool.query(`UPDATE ${FULL} SET amount = 7.5000, state = 'refunded' WHERE id = 1`);
    await fixture.db.pool.query(`INSERT INTO ${KEYED} VALUES (1, 1.0000)`);
    await fixture.db.pool.query(`UPDATE ${KEYED} SET amount = 2.0000 WHERE id = 1`);
    await fixture.db.pool.query(`DELETE FROM ${FULL} WHERE id = 2`);
    await fixture.db.pool.query(`TRUNCATE ${KEYED}`);
    await fixture.waitCaughtUp(capture);

    // The resumed snapshot did not start over: far fewer than twice the rows were copied.
    const big = await readTopic(fixture.kafka, fixture.topic(BIG));
    expect(big.length).toBeLessThan(BIG_ROWS + doneBeforeKill);
    await fixture.expectTopicEqualsSource(BIG);

    const full = await readTopic(fixture.kafka, fixture.topic(FULL));
    const update = full.find((r) => r.value?.op === 'u');
    expect({ before: update?.value?.before, after: update?.value?.after }).toEqual({
      before: { id: 1n, amount: '10.0000', state: 'new' },
      after: { id: 1n, amount: '7.5000', state: 'refunded' },
    });
    const deleteAt = full.findIndex((r) => r.value?.op === 'd');
    expect(full[deleteAt].value?.before).toEqual({ id: 2n, amount: '20.0000', state: 'new' });
    // The tombstone follows the delete in the same partition, with the same key.
    const tombstone = full.slice(deleteAt + 1).find((r) => r.partition === full[deleteAt].partition);
    expect({ key: stableJson(tombstone?.key), value: tombstone?.value }).toEqual({ key: stableJson({ id: 2n }), value: null });

    const keyed = await readTopic(fixture.kafka, fixture.topic(KEYED));
    // Without REPLICA IDENTITY FULL the old row is not in the WAL: no before image.
    expect(keyed.find((r) => r.value?.op === 'u')?.value?.before).toBeNull();
    const truncates = keyed.filter((r) => r.value?.op === 't');
    expect(truncates.map((r) => r.partition).sort()).toEqual([0, 1, 2]);

    const events = await metricLines(capture, 'paysync_capture_events_total');
    for (const [table, op] of [[FULL, 'c'], [FULL, 'u'], [FULL, 'd'], [KEYED, 't'], [BIG, 'r']]) {
      expect({ table, op, count: metricValue(events, { table, op }) }).toEqual({ table, op, count: expect.any(Number) });
      expect(metricValue(events, { table, op })).toBeGreaterThan(0);
    }
    expect(metricValue(await metricLines(capture, 'paysync_capture_snapshot_done'), { table: BIG })).toBe(1);
    expect(metricValue(await metricLines(capture, 'paysync_capture_snapshot_rows_total'), { table: BIG })).toBeGreaterThan(0);
    expect(metricValue(await metricLines(capture, 'paysync_capture_snapshot_chunks_total'), { table: BIG })).toBeGreaterThan(0);
    for (const name of ['paysync_capture_lag_seconds', 'paysync_capture_lag_bytes', 'paysync_capture_retained_wal_bytes', 'paysync_capture_produce_errors_total']) {
      expect({ name, value: metricValue(await metricLines(capture, name)) }).toEqual({ name, value: expect.any(Number) });
    }
    expect(metricValue(await metricLines(capture, 'paysync_capture_confirmed_lsn'))).toBeGreaterThan(0);
    // When the last event went out: within this test's run, not the gauge's initial 0.
    expect(metricValue(await metricLines(capture, 'paysync_capture_last_event_timestamp_seconds'))).toBeGreaterThan(Date.now() / 1000 - 600);

    capture.kill('SIGTERM');
    expect(await capture.exited).toBe(0);
  });
});
