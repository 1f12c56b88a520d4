import { CaptureFixture } from '../../support/capture-fixture';
import { removeAppliedTargets, startAppliedTargets, type AppliedTarget } from '../../support/applied-targets';
import { reconcileOnce } from '../../support/reconcile-once';
import { waitUntil } from '../../support/wait';
import { ALL_TYPES_DDL, ALL_TYPES_ROWS } from '../../support/all-types-table';

jest.setTimeout(300_000);

const TABLE = 'public.all_types';
const COPY_BASE = 100;

/**
 * One change per non-key column, for each target's dialect: applied to row COPY_BASE + i of the
 * target, it must make exactly that row differ (a canonical text that ignores a column would hide it).
 */
const COLUMN_CHANGES: { column: string; postgres: string; mysql: string }[] = [
  { column: 'amount', postgres: 'amount - 0.0001', mysql: 'amount - 0.0001' },
  { column: 'free_numeric', postgres: 'free_numeric + 0.000000001', mysql: `'123456789012345678901234567890.123456788'` },
  { column: 'price', postgres: `price - '0.01'::money`, mysql: 'price - 0.01' },
  { column: 'at', postgres: `at + interval '1 microsecond'`, mysql: 'at + INTERVAL 1 MICROSECOND' },
  { column: 'local_at', postgres: `local_at + interval '1 microsecond'`, mysql: 'local_at + INTERVAL 1 MICROSECOND' },
  { column: 'day', postgres: 'day + 1', mysql: 'day + INTERVAL 1 DAY' },
  { column: 'tod', postgres: `tod - interval '1 microsecond'`, mysql: `SUBTIME(tod, '00:00:00.000001')` },
  { column: 'ref', postgres: `'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12'`, mysql: `'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12'` },
  { column: 'doc', postgres: `'{"a": [1, 2.5, "x"], "b": null}'`, mysql: `'{"a": [1, 2.5, "x"], "b": null}'` },
  { column: 'blob', postgres: `'\\x00ff11'`, mysql: `UNHEX('00ff11')` },
  { column: 'memo', postgres: `memo || '.'`, mysql: `CONCAT(memo, '.')` },
  { column: 'tags', postgres: `'{"a,b","c\\"d",NULL,"null"}'`, mysql: `'["a,b","c\\\\"d",null,"null"]'` },
  { column: 'amounts', postgres: `'{1.10,-2.26}'`, mysql: `'["1.10","-2.26"]'` },
  { column: 'counts', postgres: `'{1,NULL,4}'`, mysql: '\'[1,null,4]\'' },
  { column: 'status', postgres: `'pending'`, mysql: `'pending'` },
];

const ids = (keys: Record<string, unknown>[]) => keys.map((k) => Number(k.id)).sort((a, b) => a - b);

/** Every contract type, applied into PostgreSQL and MariaDB: compared equal when equal, and each column's change found. */
describe('reconciler: canonical row text of every type', () => {
  let source: CaptureFixture;
  let targets: AppliedTarget[] = [];

  beforeAll(async () => {
    const copyColumns = 'amount, free_numeric, price, at, local_at, day, tod, ref, doc, blob, memo, tags, amounts, counts, status';
    source = await CaptureFixture.create([
      ...ALL_TYPES_DDL(TABLE),
      `INSERT INTO ${TABLE} VALUES ${ALL_TYPES_ROWS.join(', ')}`,
      `INSERT INTO ${TABLE} (id, ${copyColumns}) SELECT ${COPY_BASE} + n, ${copyColumns} FROM ${TABLE}, generate_series(1, ${COLUMN_CHANGES.length}) n WHERE id = 1`,
    ]);
    await source.startCaptureStreaming([TABLE]);
    targets = await startAppliedTargets(source, [TABLE]);
  });

  afterAll(async () => {
    await removeAppliedTargets(targets);
    await source?.cleanup();
  });

  it.each(['postgres', 'mysql'] as const)('finds no false drift and every changed column in a %s target', async (kind) => {
    const { db, groupId, apply } = targets.find((t) => t.kind === kind)!;
    const table = kind === 'postgres' ? TABLE : 'all_types';
    // MariaDB's DATETIME holds years 1000-9999: row 2 (year 1) goes to the dead-letter topic, so it is missing there.
    const unstorable = kind === 'mysql' ? [2] : [];
    const expected = 4 + COLUMN_CHANGES.length - unstorable.length;
    await waitUntil(() => `${kind} target to hold ${expected} rows; apply said:\n${apply.output().slice(-2000)}`, async () => {
      const [{ n }] = await db.query(`SELECT count(*) AS n FROM ${table}`).catch(() => [{ n: 0 }]);
      return Number(n) === expected;
    }, 120_000, 500);

    const equal = await reconcileOnce(source, db, groupId, [TABLE]);
    // PostgreSQL's own hash between two PostgreSQL databases, md5 against MariaDB (row-hash.ts).
    expect(equal.report.rowHash).toBe(kind === 'postgres' ? 'hash64' : 'md5');
    expect(equal.report.tables[0]).toMatchObject({ rows: 4 + COLUMN_CHANGES.length, missing: unstorable.map((id) => ({ id })), extra: [], different: [] });

    const q = (name: string) => (kind === 'postgres' ? `"${name}"` : `\`${name}\``);
    for (const [i, change] of COLUMN_CHANGES.entries()) {
      await db.query(`UPDATE ${table} SET ${q(change.column)} = ${change[kind]} WHERE id = ${COPY_BASE + 1 + i}`);
    }
    const drifted = await reconcileOnce(source, db, groupId, [TABLE]);
    const found = drifted.report.tables[0];
    expect({ missing: ids(found.missing), extra: ids(found.extra), different: ids(found.different) }).toEqual({
      missing: unstorable,
      extra: [],
      different: COLUMN_CHANGES.map((_, i) => COPY_BASE + 1 + i),
    });
  });
});
