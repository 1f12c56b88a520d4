import { ReplicationStream, UNCHANGED_TOAST, lsnToBigInt, type Pgoutput } from '@paysync/postgres';
import { createScratchDatabase, type ScratchDatabase } from '../support/fixtures';

jest.setTimeout(60_000);

describe('reading the real PostgreSQL WAL through pg-logical-replication', () => {
  let db: ScratchDatabase;

  beforeAll(async () => {
    db = await createScratchDatabase('paysync_wal');
    await db.pool.query(`CREATE TABLE payments (id bigint PRIMARY KEY, amount numeric(20,4) NOT NULL, at timestamptz NOT NULL, memo text)`);
    await db.pool.query('CREATE PUBLICATION paysync_test FOR TABLE payments');
    await db.pool.query("SELECT pg_create_logical_replication_slot('paysync_test', 'pgoutput')");
  });
  afterAll(() => db.drop());

  it('delivers inserts, updates and deletes as exact text, and confirms exactly the LSN it is told', async () => {
    // Incompressible and large: stored out of line (TOAST), so an update not touching it does not send it.
    await db.pool.query(
      `INSERT INTO payments SELECT 1, '-1234567890123456.7891', '2024-02-29 23:59:59.123456+05:30', string_agg(md5(g::text), '') FROM generate_series(1, 1000) g`,
    );
    const { rows: bigRows } = await db.pool.query<{ memo: string }>('SELECT memo FROM payments WHERE id = 1');
    const big = bigRows[0].memo;
    await db.pool.query(`UPDATE payments SET amount = amount + 0.0001 WHERE id = 1`);
    await db.pool.query(`DELETE FROM payments WHERE id = 1`);

    const stream = new ReplicationStream({ connectionString: db.url, slot: 'paysync_test', publication: 'paysync_test', applicationName: 'paysync-test' });
    const changes: Pgoutput.Message[] = [];
    let lastCommitLsn = '';
    const errors: Error[] = [];
    try {
      const done = new Promise<void>((resolve) => {
        void stream.start({
          onMessage: async (lsn, message) => {
            if (['insert', 'update', 'delete'].includes(message.tag)) changes.push(message);
            if (message.tag === 'commit') lastCommitLsn = message.commitEndLsn ?? lsn;
            if (message.tag === 'commit' && changes.length === 3) resolve();
          },
          onKeepalive: async () => undefined,
          onError: (err) => errors.push(err),
        });
      });
      await done;

      const [insert, update, del] = changes as [Pgoutput.MessageInsert, Pgoutput.MessageUpdate, Pgoutput.MessageDelete];
      expect({ ...insert.new, memo: undefined }).toEqual({ id: '1', amount: '-1234567890123456.7891', at: '2024-02-29 18:29:59.123456+00', memo: undefined });
      expect(insert.new.memo === big).toBe(true);
      // The memo was not changed by the update: pgoutput did not send it, and we say so, not "undefined".
      expect(update.new).toEqual({ id: '1', amount: '-1234567890123456.7890', at: '2024-02-29 18:29:59.123456+00', memo: UNCHANGED_TOAST });
      expect(del.key).toEqual({ id: '1' });

      // Nothing was confirmed yet: the library's timer must not have acknowledged the received LSN.
      const before = await db.pool.query<{ confirmed_flush_lsn: string }>("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'paysync_test'");
      expect(lsnToBigInt(before.rows[0].confirmed_flush_lsn)).toBeLessThan(lsnToBigInt(lastCommitLsn));

      await stream.confirm(lastCommitLsn);
      await waitFor(async () => {
        const { rows } = await db.pool.query<{ confirmed_flush_lsn: string }>("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'paysync_test'");
        return lsnToBigInt(rows[0].confirmed_flush_lsn) === lsnToBigInt(lastCommitLsn);
      });
      expect(errors).toEqual([]);
    } finally {
      await stream.stop();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}
