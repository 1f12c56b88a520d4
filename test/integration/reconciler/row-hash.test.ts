import { readTableShape } from '@paysync/contract';
import { canonicalValue } from '../../../services/reconciler/src/sides/canonical-row';
import { openSide } from '../../../services/reconciler/src/sides/open-side';
import { digestSql, rowHashSql, type RowHash } from '../../../services/reconciler/src/sides/row-hash';
import { agreeOnRowHash } from '../../../services/reconciler/src/sides/row-hash-agreement';
import type { ComparedColumn } from '../../../services/reconciler/src/sides/side';
import { createScratchDatabase, type ScratchDatabase } from '../../support/fixtures';

jest.setTimeout(120_000);

/** Rows that a naive concatenation of their values would confuse, pair by pair (NULL, separators, quotes, backslashes). */
const ROWS = [
  [1, 'a,b', 'c', true],
  [2, 'a', 'b,c', true],
  [3, null, 'x', true],
  [4, 'NULL', 'x', true],
  [5, '', null, true],
  [6, null, '', true],
  [7, "a'", 'b', true],
  [8, 'a', "'b", true],
  [9, 'a\\', 'b', true],
  [10, 'a', '\\b', true],
  [11, "E'a'", 'b', true],
  [12, 'x', 'y', null],
  [13, 'x', 'y', false],
  [14, 'x', 'y', true],
  [15, "','", '', true],
  [16, '', "','", true],
] as const;

/** The reconciler's row hashes in PostgreSQL: no two different rows alike, whichever method the sides agreed on. */
describe('reconciler: row hashes on PostgreSQL', () => {
  let db: ScratchDatabase;
  let other: ScratchDatabase;
  /** a, b and flag, as the reconciler reads the table's shape. */
  let COLUMNS: ComparedColumn[];

  beforeAll(async () => {
    [db, other] = await Promise.all([createScratchDatabase('paysync_rowhash'), createScratchDatabase('paysync_rowhash')]);
    await db.pool.query('CREATE TABLE pairs (id int PRIMARY KEY, a text, b text, flag boolean)');
    for (const row of ROWS) await db.pool.query('INSERT INTO pairs VALUES ($1, $2, $3, $4)', [...row]);
    COLUMNS = (await readTableShape(db.pool, 'public', 'pairs')).columns.filter((c) => c.name !== 'id');
  });

  afterAll(async () => {
    await Promise.all([db?.drop(), other?.drop()]);
  });

  it.each(['md5', 'hash64'] as RowHash[])('gives every row of the confusable pairs its own %s hash, and the digest agrees with the rows', async (method) => {
    const { rows } = await db.pool.query<{ id: number; h: string }>(`SELECT id, ${rowHashSql('postgres', method, COLUMNS)} AS h FROM pairs ORDER BY id`);
    expect(rows).toHaveLength(ROWS.length);
    expect(new Set(rows.map((r) => r.h)).size).toBe(ROWS.length);

    // A digest changes when any one row changes into its confusable neighbour.
    const { row, sums } = digestSql('postgres', method, COLUMNS);
    const digest = async () => (await db.pool.query(`SELECT ${sums.map((s) => `sum(${s})::text`).join(' || \'/\' || ')} AS d FROM (SELECT ${row} AS h FROM pairs OFFSET 0) x`)).rows[0].d as string;
    const before = await digest();
    await db.pool.query(`UPDATE pairs SET a = 'a', b = 'b,c' WHERE id = 1`);
    const after = await digest();
    await db.pool.query(`UPDATE pairs SET a = 'a,b', b = 'c' WHERE id = 1`);
    expect(after).not.toBe(before);
    expect(await digest()).toBe(before);
  });

  it('reads a NULL boolean as NULL, not as false', async () => {
    const { rows } = await db.pool.query(`SELECT id, ${canonicalValue('postgres', COLUMNS[2])} AS v FROM pairs WHERE id IN (12, 13, 14) ORDER BY id`);
    expect(rows.map((r) => r.v)).toEqual([null, '0', '1']);
  });

  it('agrees on PostgreSQL’s own hash between two databases of this server, each side on the parallel workers it was given', async () => {
    const names = () => ({ table: 'pairs' });
    const [source, target] = [openSide(db.url, 'source', names), openSide(other.url, 'target', names, { parallelWorkers: 3 })];
    try {
      expect(await agreeOnRowHash(source.runner, target.runner)).toEqual({ method: 'hash64', why: 'both sides are PostgreSQL and hash alike' });
      const workers = async (side: typeof source) => (await side.runner.query('SHOW max_parallel_workers_per_gather', []))[0].max_parallel_workers_per_gather;
      expect([await workers(source), await workers(target)]).toEqual(['0', '3']);
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  });
});
