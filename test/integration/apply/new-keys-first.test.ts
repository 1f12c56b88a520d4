// Only to watch which statements the target sends: the target itself reaches pg through @paysync/postgres.
// eslint-disable-next-line no-restricted-imports
import { Client } from 'pg';
import type { RowChange, SourceTable } from '../../../services/apply/src/changes/row-change';
import { PostgresTarget } from '../../../services/apply/src/targets/postgres/postgres-target';
import type { ResolvedTable } from '../../../services/apply/src/targets/target';
import { createScratchPostgresTarget, type ScratchTarget } from '../../support/target-databases';

jest.setTimeout(120_000);

const column = (name: string, typeName: string, extra: Partial<SourceTable['columns'][number]> = {}) => ({ name, typeName, pgType: typeName, typeOid: 0, category: 'base' as const, nullable: true, ...extra });
const ledger: SourceTable = {
  schema: 'public',
  table: 'ledger',
  columns: [column('id', 'int8', { nullable: false }), column('amount', 'numeric', { pgType: 'numeric(20,4)', precision: 20, scale: 4 })],
  primaryKey: ['id'],
  fields: ['id', 'amount'],
};

const change = (id: number, amount: string | null, lsn: bigint): RowChange => ({
  kind: 'row',
  table: ledger,
  rowKey: JSON.stringify([String(id)]),
  key: { id: BigInt(id) },
  row: amount === null ? null : { id: BigInt(id), amount },
  unchanged: [],
  expected: [],
  version: { lsn, seq: 0n },
  commitTimeMs: 0,
  offset: 0n,
});

/** The SQL the target sends, to see which way a batch went; `named`: the texts sent as prepared statements. */
function recordStatements(): { sent: string[]; named: string[]; stop: () => void } {
  const sent: string[] = [];
  const named: string[] = [];
  const query = Client.prototype.query;
  const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
    const sql = args[0] as string | { name?: string; text: string };
    if (typeof sql === 'string') sent.push(sql);
    else {
      sent.push(sql.text);
      if (sql.name) named.push(sql.text);
    }
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as never);
  return { sent, named, stop: () => spy.mockRestore() };
}

describe('PostgreSQL target: batches of keys an empty table never held', () => {
  let db: ScratchTarget;
  let target: PostgresTarget;

  beforeEach(async () => {
    db = await createScratchPostgresTarget('paysync_newkeys');
    target = new PostgresTarget(db.url, 'paysync-test', { purgesDeleteMarkers: false });
    await target.prepare([{ schema: 'public', table: 'ledger' }]);
  });
  afterEach(async () => {
    await target.close();
    await db.drop();
  });

  async function apply(table: ResolvedTable, changes: RowChange[]) {
    const tx = await target.begin();
    try {
      const result = await tx.applyRows(table, changes);
      await tx.commit();
      return result;
    } catch (err) {
      await tx.rollback();
      throw err;
    }
  }

  const rows = async () => (await db.query('SELECT id::text, amount::text FROM public.ledger ORDER BY id')).map((r) => `${r.id}=${r.amount}`);
  const versions = async () => (await db.query("SELECT row_key || '@' || lsn || CASE WHEN deleted THEN ' deleted' ELSE '' END AS v FROM paysync.row_versions ORDER BY row_key")).map((r) => r.v);

  it('inserts new keys without the guard, falls back to it at the first key already there, and the guard then holds', async () => {
    const table = await target.resolve(ledger, { schema: 'public', table: 'ledger' });
    const statements = recordStatements();
    try {
      expect(await apply(table, [change(1, '10.0000', 100n), change(2, '20.0000', 100n), change(3, null, 100n)])).toEqual({ applied: 3, stale: 0 });
      expect(statements.sent.filter((s) => s.includes('SAVEPOINT paysync_new_keys'))).toEqual(['SAVEPOINT paysync_new_keys', 'RELEASE SAVEPOINT paysync_new_keys']);
      expect(statements.sent.some((s) => s.includes('ON CONFLICT'))).toBe(false);
      // The batch's statement is prepared (PAYSYNC_TARGET_PREPARED_STATEMENTS, on by default).
      expect(statements.named).toEqual([expect.stringMatching(/^WITH incoming AS/)]);

      // Key 1 is held now: the batch is written again through the guard, whole.
      statements.sent.length = 0;
      expect(await apply(table, [change(1, '11.0000', 200n), change(4, '40.0000', 200n)])).toEqual({ applied: 2, stale: 0 });
      expect(statements.sent).toContain('ROLLBACK TO SAVEPOINT paysync_new_keys');
      expect(statements.sent.filter((s) => s.includes('ON CONFLICT')).length).toBe(1);

      // From then on every batch goes through the guard: an older version of key 4 is stale.
      statements.sent.length = 0;
      expect(await apply(table, [change(4, '39.0000', 150n), change(5, '50.0000', 200n)])).toEqual({ applied: 1, stale: 1 });
      expect(statements.sent.some((s) => s.includes('paysync_new_keys'))).toBe(false);
    } finally {
      statements.stop();
    }
    expect(await rows()).toEqual(['1=11.0000', '2=20.0000', '4=40.0000', '5=50.0000']);
    expect(await versions()).toEqual(['["1"]@200', '["2"]@100', '["3"]@100 deleted', '["4"]@200', '["5"]@200']);
  });

  it('uses the guard from the start for a table that holds a row or a delete marker when resolved', async () => {
    const first = await target.resolve(ledger, { schema: 'public', table: 'ledger' });
    await apply(first, [change(7, null, 100n)]);
    const again = await target.resolve(ledger, { schema: 'public', table: 'ledger' });
    const statements = recordStatements();
    try {
      expect(await apply(again, [change(7, '70.0000', 50n), change(8, '80.0000', 300n)])).toEqual({ applied: 1, stale: 1 });
      expect(statements.sent.some((s) => s.includes('paysync_new_keys'))).toBe(false);
    } finally {
      statements.stop();
    }
    expect(await rows()).toEqual(['8=80.0000']);
  });

  it('sends every statement unnamed when prepared statements are off (a pooler that loses them)', async () => {
    const unprepared = new PostgresTarget(db.url, 'paysync-test', { purgesDeleteMarkers: false, preparedStatements: false });
    const statements = recordStatements();
    try {
      const table = await unprepared.resolve(ledger, { schema: 'public', table: 'ledger' });
      const tx = await unprepared.begin();
      expect(await tx.lockOffset('g', 't', 0)).toBe(0n);
      expect(await tx.applyRows(table, [change(1, '10.0000', 100n)])).toEqual({ applied: 1, stale: 0 });
      await tx.saveOffset('g', 't', 0, 1n);
      await tx.commit();
      expect(statements.sent.length).toBeGreaterThan(0);
      expect(statements.named).toEqual([]);
    } finally {
      statements.stop();
      await unprepared.close();
    }
    expect(await rows()).toEqual(['1=10.0000']);
    expect((await target.storedOffsets('g')).map((o) => o.nextOffset)).toEqual([1n]);
  });

  it('leaves nothing of a batch rolled back after its new keys were written', async () => {
    const table = await target.resolve(ledger, { schema: 'public', table: 'ledger' });
    const tx = await target.begin();
    await tx.applyRows(table, [change(1, '10.0000', 100n)]);
    await tx.rollback();
    expect(await rows()).toEqual([]);
    expect(await versions()).toEqual([]);
    expect(await apply(table, [change(1, '12.0000', 100n)])).toEqual({ applied: 1, stale: 0 });
    expect(await rows()).toEqual(['1=12.0000']);
  });
});
