import { applyOriginName } from '@paysync/contract';
import { lsnToBigInt } from '@paysync/postgres';
import { CaptureFixture } from '../../support/capture-fixture';
import { uniqueName } from '../../support/fixtures';
import { httpAddressOf, sampleValue, scrapeMetrics } from '../../support/metrics-scrape';
import { exitedByItself } from '../../support/paysync-process';
import { postgres16Bin, startPrivatePostgres, type PrivatePostgres } from '../../support/private-postgres';
import { writeUnderOrigin } from '../../support/origin-writes';
import { readTopic } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';

jest.setTimeout(300_000);

const TABLE = 'public.transfers';
const DDL = [`CREATE TABLE ${TABLE} (id int PRIMARY KEY, note text NOT NULL)`, `ALTER TABLE ${TABLE} REPLICA IDENTITY FULL`];
const AT_SOURCE = { PAYSYNC_SKIP_APPLIED_CHANGES: 'true', PAYSYNC_SKIP_ORIGINS_AT_SOURCE: 'true' };

/**
 * PAYSYNC_SKIP_ORIGINS_AT_SOURCE on a PostgreSQL 16 server (scripts/stack/postgres16.sh): the source
 * leaves out every transaction with an origin, paysync's and any other's, so capture never sees
 * them (its own skip counter stays at 0) and still confirms past them; on the stack's PostgreSQL 15
 * capture refuses the setting at start.
 */
describe('capture with PAYSYNC_SKIP_ORIGINS_AT_SOURCE (pgoutput origin = none)', () => {
  let cluster: PrivatePostgres;
  let fixture: CaptureFixture;

  beforeAll(async () => {
    cluster = await startPrivatePostgres(postgres16Bin());
    fixture = await CaptureFixture.create(DDL, cluster.url('postgres'));
  });
  afterAll(async () => {
    await fixture?.cleanup();
    await cluster?.stop();
  });

  it('PostgreSQL 16 leaves out every origin-tagged transaction before capture decodes it; capture confirms past them', async () => {
    const applyOrigin = applyOriginName(uniqueName('grp'), 0);
    const foreignOrigin = uniqueName('othertool');
    for (const origin of [applyOrigin, foreignOrigin]) await fixture.db.pool.query('SELECT pg_replication_origin_create($1)', [origin]);
    const capture = await fixture.startCaptureStreaming([TABLE], AT_SOURCE);
    await waitUntil('the snapshot of the empty table to finish', () => capture.logs().some((l) => l.msg === 'snapshot of table done' && l.table === TABLE), 60_000, 50);

    await fixture.db.pool.query(`INSERT INTO ${TABLE} VALUES (1, 'plain')`);
    await writeUnderOrigin(fixture.db.pool, foreignOrigin, [`INSERT INTO ${TABLE} VALUES (2, 'another tool')`]);
    const insideApplied = await writeUnderOrigin(fixture.db.pool, applyOrigin, [`INSERT INTO ${TABLE} VALUES (3, 'applied')`]);
    await waitUntil(
      () => `slot ${fixture.slot} to confirm past the applied transaction; output:\n${capture.output().slice(-3000)}`,
      async () => {
        const { rows } = await fixture.db.pool.query<{ lsn: string | null }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [fixture.slot]);
        return rows[0]?.lsn != null && lsnToBigInt(rows[0].lsn) > insideApplied;
      },
      120_000,
    );
    await fixture.db.pool.query(`INSERT INTO ${TABLE} VALUES (4, 'plain')`);
    await fixture.waitCaughtUp(capture);

    const records = await readTopic(fixture.kafka, fixture.topic(TABLE));
    expect(records.flatMap((r) => (r.value ? [Number(r.value.after?.id)] : [])).sort()).toEqual([1, 4]);
    // Left out by the server: capture had nothing to drop.
    const metrics = await scrapeMetrics(httpAddressOf(capture, 'capture streaming'));
    expect(sampleValue(metrics, 'paysync_capture_skipped_applied_changes_total', { table: TABLE }) ?? 0).toBe(0);
    capture.kill('SIGTERM');
    expect(await capture.exited).toBe(0);
    for (const origin of [applyOrigin, foreignOrigin]) await fixture.db.pool.query('SELECT pg_replication_origin_drop($1)', [origin]);
  });

  it('on PostgreSQL 15 capture stops at start (exit 2) naming the setting', async () => {
    const stackSource = await CaptureFixture.create(DDL);
    try {
      const capture = stackSource.startCapture([TABLE], AT_SOURCE);
      expect(await exitedByItself(capture, 'capture with PAYSYNC_SKIP_ORIGINS_AT_SOURCE on PostgreSQL 15')).toBe(2);
      expect(capture.output()).toContain('PAYSYNC_SKIP_ORIGINS_AT_SOURCE: the source runs PostgreSQL 15');
    } finally {
      await stackSource.cleanup();
    }
  });
});
