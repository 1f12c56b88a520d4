import { CaptureFixture } from '../../support/capture-fixture';
import { removeAppliedTargets, startAppliedTargets, type AppliedTarget } from '../../support/applied-targets';
import { reconcileOnce } from '../../support/reconcile-once';
import type { ScratchTarget } from '../../support/target-databases';
import { waitUntil } from '../../support/wait';
import { PAYMENTS_DDL, PAYMENTS_TABLES } from '../../../demo/payments-workload';

jest.setTimeout(1_200_000);

const ROWS = 1_000_000;
const PAYOUTS = 'public.payouts';

/** One source, captured once, applied into a PostgreSQL and a MariaDB target; the reconciler compares each. */
describe('reconciler', () => {
  let source: CaptureFixture;
  let targets: AppliedTarget[] = [];

  const reconcile = (target: ScratchTarget, tables: string[], extra: Record<string, string> = {}) =>
    reconcileOnce(source, target, targets.find((t) => t.db === target)!.groupId, tables, extra);

  beforeAll(async () => {
    source = await CaptureFixture.create([
      ...PAYMENTS_DDL,
      `CREATE TABLE payouts (id bigint PRIMARY KEY, account_id bigint NOT NULL, amount numeric(20,4) NOT NULL, currency text NOT NULL,
         note text, settled boolean NOT NULL, paid_at timestamptz NOT NULL)`,
      `INSERT INTO payouts SELECT g, g % 1000, round((g::bigint * 7919 % 1000000) / 100.0, 4), CASE WHEN g % 3 = 0 THEN 'EUR' ELSE 'USD' END,
         CASE WHEN g % 10 = 0 THEN NULL ELSE 'payout ' || g END, g % 2 = 0, timestamptz '2024-01-01 00:00:00+00' + g * interval '1.000001 second'
         FROM generate_series(1, ${ROWS}) g`,
    ]);
    const tables = [...PAYMENTS_TABLES, PAYOUTS];
    await source.startCaptureStreaming(tables);
    targets = await startAppliedTargets(source, tables);
    for (const { kind, db } of targets) {
      const payouts = kind === 'postgres' ? 'public.payouts' : 'payouts';
      await waitUntil(`${kind} target to hold ${ROWS} payouts`, async () => Number((await db.query(`SELECT count(*) AS n FROM ${payouts}`))[0].n) === ROWS, 900_000, 2000);
    }
  });

  afterAll(async () => {
    await removeAppliedTargets(targets);
    await source?.cleanup();
  });

  it.each(['postgres', 'mysql'] as const)('finds exactly the four drifted rows of a 1,000,000-row table in a %s target', async (kind) => {
    const { db } = targets.find((t) => t.kind === kind)!;
    const clean = await reconcile(db, [PAYOUTS]);
    expect(clean.code).toBe(0);
    expect(clean.report.tables[0]).toMatchObject({ table: PAYOUTS, rows: ROWS, missing: [], extra: [], different: [] });

    const t = kind === 'postgres' ? 'public.payouts' : 'payouts';
    await db.query(`UPDATE ${t} SET amount = amount + 0.0001 WHERE id = 1000`);
    await db.query(`DELETE FROM ${t} WHERE id = 2000`);
    await db.query(`INSERT INTO ${t} (id, account_id, amount, currency, note, settled, paid_at) VALUES (2000001, 1, 1.0000, 'USD', 'extra', ${kind === 'postgres' ? 'true' : '1'}, '2024-06-01 00:00:00')`);
    await db.query(kind === 'postgres' ? `UPDATE ${t} SET paid_at = paid_at + interval '1 microsecond' WHERE id = 3000` : `UPDATE ${t} SET paid_at = paid_at + INTERVAL 1 MICROSECOND WHERE id = 3000`);

    const drifted = await reconcile(db, [PAYOUTS]);
    expect(drifted.code).toBe(3);
    const table = drifted.report.tables[0];
    expect({ missing: table.missing, extra: table.extra, different: table.different }).toEqual({
      missing: [{ id: 2000 }],
      extra: [{ id: 2000001 }],
      different: [{ id: 1000 }, { id: 3000 }],
    });

    // Repair asks capture to re-read the keys, so it goes through Kafka (apply stays the only writer); a later run finds nothing.
    const repair = await reconcile(db, [PAYOUTS], { PAYSYNC_RECONCILE_REPAIR: 'true' });
    expect(repair.code).toBe(3);
    expect(repair.report.tables[0]).toMatchObject({ repaired: 4 });
    let after: Awaited<ReturnType<typeof reconcile>> | undefined;
    await waitUntil(() => `no drift after the repair; last report: ${JSON.stringify(after?.report)}`, async () => (after = await reconcile(db, [PAYOUTS])).code === 0, 120_000, 1000);
    process.stdout.write(`reconciler, ${kind} target: ${table.rows} rows, ${clean.report.tables[0].rowsPerSecond.toLocaleString('en-US')} rows/s over both sides with no drift, ${table.rowsPerSecond.toLocaleString('en-US')} rows/s with drift\n`);
  });

  it.each(['postgres', 'mysql'] as const)('leaves a change apply has not applied yet unsettled, never drift (%s target)', async (kind) => {
    const { db, apply } = targets.find((t) => t.kind === kind)!;
    apply.kill('SIGSTOP');
    try {
      const { rows } = await source.db.pool.query<{ id: string }>(`UPDATE accounts SET balance = balance + 0, owner = owner || '.' WHERE id = 7 RETURNING id`);
      expect(rows).toHaveLength(1);
      const paused = await reconcile(db, ['public.accounts'], { PAYSYNC_RECONCILE_FENCE_TIMEOUT_MS: '3000' });
      expect({ code: paused.code, table: paused.report.tables[0] }).toMatchObject({ code: 0, table: { different: [], unsettled: 1, fenceMissed: expect.stringContaining('did not apply') } });
    } finally {
      apply.kill('SIGCONT');
    }
    let after: Awaited<ReturnType<typeof reconcile>> | undefined;
    await waitUntil(() => `the change applied and no drift; last report: ${JSON.stringify(after?.report)}`, async () => {
      after = await reconcile(db, ['public.accounts']);
      return after.code === 0 && after.report.tables[0].unsettled === 0;
    }, 120_000, 1000);
  });
});
