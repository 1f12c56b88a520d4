import { applyOriginName } from '@paysync/contract';
import { lsnToBigInt } from '@paysync/postgres';
import { CaptureFixture } from '../../support/capture-fixture';
import { uniqueName } from '../../support/fixtures';
import { httpAddressOf, sampleValue, scrapeMetrics } from '../../support/metrics-scrape';
import { exitedByItself } from '../../support/paysync-process';
import { writeUnderOrigin } from '../../support/origin-writes';
import { readTopic } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';

jest.setTimeout(240_000);

const TABLE = 'public.transfers';
const KEY_IDENTITY_TABLE = 'public.fees';
const SKIP = { PAYSYNC_SKIP_APPLIED_CHANGES: 'true' };

describe('capture with PAYSYNC_SKIP_APPLIED_CHANGES (echo suppression)', () => {
  let fixture: CaptureFixture;
  // Replication origins are the server's, not the scratch database's: unique names, dropped at the end.
  const applyOrigin = applyOriginName(uniqueName('grp'), 0);
  const foreignOrigin = uniqueName('othertool');

  beforeAll(async () => {
    fixture = await CaptureFixture.create([
      `CREATE TABLE ${TABLE} (id int PRIMARY KEY, note text NOT NULL)`,
      `ALTER TABLE ${TABLE} REPLICA IDENTITY FULL`,
      `CREATE TABLE ${KEY_IDENTITY_TABLE} (id int PRIMARY KEY)`,
    ]);
    for (const origin of [applyOrigin, foreignOrigin]) await fixture.db.pool.query('SELECT pg_replication_origin_create($1)', [origin]);
  });
  afterAll(async () => {
    for (const origin of [applyOrigin, foreignOrigin]) {
      await fixture.db.pool.query('SELECT pg_replication_origin_drop($1) WHERE pg_replication_origin_oid($1) IS NOT NULL', [origin]);
    }
    await fixture.cleanup();
  });

  it('refuses to start, exit 2, naming a table without REPLICA IDENTITY FULL, before creating anything', async () => {
    const slot = uniqueName('slot');
    const publication = uniqueName('pub');
    const capture = fixture.startCapture([TABLE, KEY_IDENTITY_TABLE], { ...SKIP, PAYSYNC_SLOT: slot, PAYSYNC_PUBLICATION: publication });
    expect(await exitedByItself(capture, 'capture with a table not at REPLICA IDENTITY FULL')).toBe(2);
    const line = capture.output().split('\n').find((l) => l.startsWith('paysync capture: '));
    expect(line).toContain('PAYSYNC_SKIP_APPLIED_CHANGES');
    expect(line).toContain(`table ${KEY_IDENTITY_TABLE} is not at REPLICA IDENTITY FULL`);
    expect(line).toContain('ALTER TABLE "public"."fees" REPLICA IDENTITY FULL;');
    expect(line).not.toContain(TABLE);
    const { rows } = await fixture.db.pool.query<{ slots: string; publications: string }>(
      'SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1) AS slots, (SELECT count(*) FROM pg_publication WHERE pubname = $2) AS publications',
      [slot, publication],
    );
    expect(rows[0]).toEqual({ slots: '0', publications: '0' });
  });

  it('drops only the transactions paysync apply wrote, counts them, and confirms past them', async () => {
    // No heartbeats: only the commits' marks move the slot, so passing the last transaction proves its commit marked.
    const capture = await fixture.startCaptureStreaming([TABLE], { ...SKIP, PAYSYNC_HEARTBEAT_INTERVAL_MS: '0' });
    await waitUntil('the snapshot of the empty table to finish', () => capture.logs().some((l) => l.msg === 'snapshot of table done' && l.table === TABLE), 60_000, 50);

    await fixture.db.pool.query(`INSERT INTO ${TABLE} VALUES (1, 'plain'), (2, 'plain')`);
    await fixture.db.pool.query(`UPDATE ${TABLE} SET note = 'plain, updated' WHERE id = 1`);
    await writeUnderOrigin(fixture.db.pool, foreignOrigin, [`INSERT INTO ${TABLE} VALUES (3, 'another tool')`]);
    const insideLastApplied = await writeUnderOrigin(fixture.db.pool, applyOrigin, [
      `INSERT INTO ${TABLE} VALUES (101, 'applied'), (102, 'applied')`,
      `UPDATE ${TABLE} SET note = 'applied, updated' WHERE id = 101`,
      `DELETE FROM ${TABLE} WHERE id = 102`,
    ]);

    await waitUntil(
      () => `slot ${fixture.slot} to confirm past the last transaction apply wrote; output:\n${capture.output().slice(-3000)}`,
      async () => {
        const { rows } = await fixture.db.pool.query<{ lsn: string | null }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [fixture.slot]);
        return rows[0]?.lsn != null && lsnToBigInt(rows[0].lsn) > insideLastApplied;
      },
      120_000,
    );

    // Confirmed means in Kafka: everything before the last transaction is in the topic by now.
    const records = await readTopic(fixture.kafka, fixture.topic(TABLE));
    const changes = records.flatMap((r) => (r.value ? [`${r.value.op} ${String(r.value.after?.id ?? r.value.before?.id)}`] : [])).sort();
    expect(changes).toEqual(['c 1', 'c 2', 'c 3', 'u 1']);
    const metrics = await scrapeMetrics(httpAddressOf(capture, 'capture streaming'));
    expect(sampleValue(metrics, 'paysync_capture_skipped_applied_changes_total', { table: TABLE })).toBe(4);

    capture.kill('SIGTERM');
    expect(await capture.exited).toBe(0);
  });
});
