import { createHmac } from 'node:crypto';
import { ColumnPolicy, readTableShape } from '@paysync/contract';
import { qualifiedName } from '@paysync/postgres';
import { canonicalValue } from '../../../services/reconciler/src/sides/canonical-row';
import { bindHmacPads, hashedOnSource } from '../../../services/reconciler/src/sides/hashed-columns';
import type { ComparedTable } from '../../../services/reconciler/src/sides/side';
import { ALL_TYPES_DDL, ALL_TYPES_ROWS } from '../../support/all-types-table';
import { createScratchDatabase, type ScratchDatabase } from '../../support/fixtures';

jest.setTimeout(120_000);

const ALL_TYPES = 'public.all_types';
/** Types whose ::text differs from their output function (bool, inet, char(n)), and a few more. */
const OTHERS = 'public.other_types';
const OTHERS_DDL = [
  `CREATE TABLE ${OTHERS} (id int PRIMARY KEY, flag boolean, addr inet, code char(6), ratio real, wide double precision, span interval, word varchar(20), pan text)`,
  `INSERT INTO ${OTHERS} VALUES
     (1, true, '10.0.0.1', 'ab', 0.1, 1e-300, '1 day 02:03:04.5', 'Zoë ✓', '4111111111111111'),
     (2, false, '2001:db8::/32', 'abcdef', '-Infinity', 'NaN', '-3 months', '', '5500 0000 0000 0004'),
     (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
];

/** Byte lengths around SHA-256's 64-byte block (a longer key is hashed first), one not ASCII. */
const KEYS = ['k', 'a'.repeat(32), 'b'.repeat(64), 'c'.repeat(65), 'schlüssel ✓ '.repeat(12)];

const nodeHmac = (key: string, text: string) => createHmac('sha256', Buffer.from(key, 'utf8')).update(text, 'utf8').digest('hex');

/**
 * The reconciler hashes PAYSYNC_COLUMN_HASH columns of the source in SQL (built-in sha256(), no
 * pgcrypto): it must give node:crypto's HMAC-SHA-256 of exactly the text capture reads and hashes.
 */
describe('reconciler: HMAC of a hashed column computed in PostgreSQL', () => {
  let db: ScratchDatabase;

  beforeAll(async () => {
    db = await createScratchDatabase('paysync_hmac');
    for (const statement of [...ALL_TYPES_DDL(ALL_TYPES), `INSERT INTO ${ALL_TYPES} VALUES ${ALL_TYPES_ROWS.join(', ')}`, ...OTHERS_DDL]) await db.pool.query(statement);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it.each(KEYS.map((key) => [Buffer.byteLength(key), key]))('equals node:crypto for every column of every type, key column too (%i-byte key)', async (_bytes, key) => {
    for (const label of [ALL_TYPES, OTHERS]) {
      const [schema, name] = label.split('.');
      const shape = await readTableShape(db.pool, schema, name);
      const policy = ColumnPolicy.fromSettings({ tables: [label], columnHash: shape.columns.map((c) => `${label}.${c.name}`), columnHashKey: key });
      const mask = policy.forTable(shape);
      const table: ComparedTable = { label, columns: mask.shape.columns, keyColumns: mask.shape.columns.filter((c) => c.name === 'id'), hashed: mask.hashed, rowHash: 'md5' };
      const read = hashedOnSource(table);
      const from = `FROM ${qualifiedName(schema, name)} ORDER BY id`;
      const select = `SELECT ${read.columns.map((c, i) => `${canonicalValue('postgres', c)} AS h${i}`).join(', ')} ${from}`;
      const bound = bindHmacPads(select, [], policy.hmacPads()!);
      expect(bound.sql).not.toContain('paysync:hmac');
      const hashedInSql = (await db.pool.query(bound.sql, bound.params)).rows;
      // What capture reads (a snapshot's SELECT *; pgoutput sends the same output-function text).
      const asCaptured = (await db.pool.query<Record<string, string | null>>(`SELECT * ${from}`)).rows;

      expect(hashedInSql).toHaveLength(asCaptured.length);
      asCaptured.forEach((raw, row) => {
        const masked = mask.maskRow(raw);
        shape.columns.forEach((column, i) => {
          const text = raw[column.name];
          const expected = text === null ? null : nodeHmac(key, text);
          const where = `${label} row ${row + 1} column ${column.name} (${column.pgType}) text ${JSON.stringify(text)}`;
          expect({ where, sql: hashedInSql[row][`h${i}`] }).toEqual({ where, sql: expected });
          expect({ where, capture: masked[column.name] }).toEqual({ where, capture: expected });
        });
      });
    }
  });
});
