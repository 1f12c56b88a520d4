import { PAYMENTS_DDL, PAYMENTS_TABLES } from '../../../demo/payments-workload';
import { CaptureFixture } from '../../support/capture-fixture';
import { exitedByItself, type PaysyncProcess } from '../../support/paysync-process';
import { waitUntil } from '../../support/wait';

jest.setTimeout(300_000);

/** A slot dropped while capture was stopped: capture must not stream on from a new slot as if nothing happened. */
describe('a slot lost after capturing', () => {
  let source: CaptureFixture;
  beforeAll(async () => {
    source = await CaptureFixture.create(PAYMENTS_DDL);
  });
  afterAll(async () => {
    await source?.cleanup();
  });

  const slotCount = async () => (await source.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM pg_replication_slots WHERE slot_name = $1', [source.slot])).rows[0].n;

  it('stops capture naming the slot, and with PAYSYNC_RESNAPSHOT_ON_SLOT_LOSS=true re-snapshots so the topics hold the source again', async () => {
    let capture: PaysyncProcess = await source.startCaptureStreaming(PAYMENTS_TABLES);
    await waitUntil('the snapshot of every table to finish', async () => {
      const { rows } = await source.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM paysync.capture_snapshot_progress WHERE slot_name = $1 AND done', [source.slot]);
      return Number(rows[0].n) === PAYMENTS_TABLES.length;
    }, 120_000);
    await source.waitCaughtUp(capture);
    capture.kill('SIGTERM');
    expect(await exitedByItself(capture, 'capture after SIGTERM')).toBe(0);

    // While capture is down: changes it will never see in the WAL, then the slot is dropped.
    await source.db.pool.query(`UPDATE accounts SET balance = balance + 1, owner = owner || ' (moved)' WHERE id <= 10`);
    await source.db.pool.query(`INSERT INTO transfers (from_account, to_account, amount, status) SELECT g, g + 1, 1.2500, 'while down' FROM generate_series(1, 20) g`);
    await source.db.pool.query('SELECT pg_drop_replication_slot($1)', [source.slot]);

    capture = source.startCapture(PAYMENTS_TABLES);
    expect(await exitedByItself(capture, 'capture with its slot gone')).toBe(2);
    expect(capture.output()).toMatch(new RegExp(`^paysync capture: PAYSYNC_SLOT / PAYSYNC_RESNAPSHOT_ON_SLOT_LOSS: replication slot "${source.slot}" is missing \\(dropped\\?\\), but this capture has captured from it before`, 'm'));
    expect(await slotCount()).toBe('0');

    capture = await source.startCaptureStreaming(PAYMENTS_TABLES, { PAYSYNC_RESNAPSHOT_ON_SLOT_LOSS: 'true' });
    expect(capture.logs().some((l) => l.level === 'warn' && String(l.msg).startsWith('the slot was lost after capturing'))).toBe(true);
    await source.db.pool.query(`UPDATE accounts SET balance = balance - 1 WHERE id BETWEEN 11 AND 20`);
    await waitUntil('the new snapshot of every table to finish', async () => {
      const { rows } = await source.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM paysync.capture_snapshot_progress WHERE slot_name = $1 AND done', [source.slot]);
      return Number(rows[0].n) === PAYMENTS_TABLES.length;
    }, 120_000);
    await source.waitCaughtUp(capture);
    for (const table of PAYMENTS_TABLES) await source.expectTopicEqualsSource(table);
  });
});
