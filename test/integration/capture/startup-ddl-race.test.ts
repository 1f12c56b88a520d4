import { PAYMENTS_DDL, PAYMENTS_TABLES } from '../../../demo/payments-workload';
import { SnapshotProgress } from '../../../services/capture/src/snapshot/snapshot-progress';
import { ensureReplicationSetup } from '../../../services/capture/src/startup/replication-setup';
import { withStartupLock } from '../../../services/capture/src/startup/startup-lock';
import { createScratchDatabase, uniqueName, type ScratchDatabase } from '../../support/fixtures';

jest.setTimeout(300_000);

/**
 * Capture's start-up DDL run by many connections at the same instant on a fresh database, the
 * tightest race two replicas (or captures of different slots) can make: under the start-up lock
 * every one succeeds, one creates the publication and the progress table, each its own slot.
 */
describe('capture start-up DDL under concurrency', () => {
  let db: ScratchDatabase | undefined;
  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });

  it.each([1, 2, 3])('round %i: eight starts at once all succeed', async () => {
    db = await createScratchDatabase('paysync_race');
    for (const statement of PAYMENTS_DDL) await db.pool.query(statement);
    const pool = db.pool;
    // Connections opened first, so the starts race on the DDL itself, not on connecting.
    const warm = await Promise.all(Array.from({ length: 4 }, () => pool.connect()));
    warm.forEach((client) => client.release());
    const publication = uniqueName('pub');
    const starts = Array.from({ length: 8 }, (_, n) =>
      withStartupLock(pool, async (conn) => {
        const slot = `${publication}_s${n}`;
        const setup = await ensureReplicationSetup(conn, { slot, publication, tables: PAYMENTS_TABLES });
        await new SnapshotProgress(conn, slot).ensureTable();
        return setup;
      }),
    );
    const outcomes = await Promise.allSettled(starts);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
    const setups = outcomes.map((o) => (o as PromiseFulfilledResult<{ slotCreated: boolean; tablesAdded: string[] }>).value);
    expect(setups.every((s) => s.slotCreated)).toBe(true);
    expect(setups.filter((s) => s.tablesAdded.length > 0)).toHaveLength(1);
  });
});
