import { PAYMENTS_COMPARED, PAYMENTS_DDL, PAYMENTS_TABLES } from '../../../demo/payments-workload';
import { removeAppliedTargets, startAppliedTargets, waitTargetsEqual, type AppliedTarget } from '../../support/applied-targets';
import { CaptureFixture } from '../../support/capture-fixture';
import { exitedByItself, type PaysyncProcess } from '../../support/paysync-process';
import { reconcileOnce } from '../../support/reconcile-once';
import { waitUntil } from '../../support/wait';

jest.setTimeout(300_000);

/** A slot dropped while capture was stopped: capture must not stream on from a new slot as if nothing happened. */
describe('a slot lost after capturing', () => {
  let source: CaptureFixture;
  let targets: AppliedTarget[] = [];
  beforeAll(async () => {
    source = await CaptureFixture.create([...PAYMENTS_DDL, `INSERT INTO transfers (from_account, to_account, amount, status) SELECT g, g + 1, 2.5000, 'before' FROM generate_series(1, 30) g`]);
  });
  afterAll(async () => {
    await removeAppliedTargets(targets);
    await source?.cleanup();
  });

  const slotCount = async () => (await source.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM pg_replication_slots WHERE slot_name = $1', [source.slot])).rows[0].n;

  it('stops capture naming the slot; with PAYSYNC_RESNAPSHOT_ON_SLOT_LOSS=true it re-snapshots, and a repairing reconcile removes what was deleted meanwhile: the target ends equal', async () => {
    let capture: PaysyncProcess = await source.startCaptureStreaming(PAYMENTS_TABLES);
    targets = await startAppliedTargets(source, PAYMENTS_TABLES, ['postgres']);
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
    await source.db.pool.query(`DELETE FROM transfers WHERE status = 'before' AND from_account <= 5`);
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

    // A snapshot re-sends the rows that exist: the five deleted while no slot kept the WAL are still
    // on the target. The reconciler finds them and its repair re-reads the keys; absent, they go out as deletes.
    const [target] = targets;
    // The ledger stayed empty, so apply never created it on the target: compare the other two.
    const written = ['public.accounts', 'public.transfers'];
    const found = await reconcileOnce(source, target.db, target.groupId, written, { PAYSYNC_RECONCILE_REPAIR: 'true' });
    expect(found.code).toBe(3);
    const transfers = found.report.tables.find((t) => t.table === 'public.transfers')!;
    expect(transfers).toMatchObject({ missing: [], different: [], repaired: 5 });
    expect(transfers.extra.map((k) => Number(k.id)).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    await waitTargetsEqual(source, capture, targets, PAYMENTS_COMPARED.filter((t) => written.includes(t.name)));
    for (const table of PAYMENTS_TABLES) await source.expectTopicEqualsSource(table);
    expect((await reconcileOnce(source, target.db, target.groupId, written)).code).toBe(0);
  });
});
