import {
  avroSchemasFor,
  createAvroType,
  readTableShape,
  rowFromPgText,
  rowToPgText,
  type ChangeEnvelope,
  type Row,
  type TableShape,
} from '@paysync/contract';
import { quoteIdent } from '@paysync/postgres';
import { createScratchDatabase, type ScratchDatabase } from '../support/fixtures';
import { testEnvelope } from '../support/test-envelope';

jest.setTimeout(60_000);

/**
 * Proves the type mapping exact against the real PostgreSQL: rows of every contract type are read
 * as text, mapped to JS, Avro-encoded in a full envelope, decoded, turned back into PostgreSQL
 * literals and written to a second table, which PostgreSQL itself then finds identical.
 */

const COLUMNS = `
  id bigint PRIMARY KEY,
  amount numeric(20,4),
  free_numeric numeric,
  free_numeric_2 numeric,
  price money,
  at timestamptz,
  local_at timestamp,
  day date,
  tod time,
  ref uuid,
  doc_json json,
  doc jsonb,
  addr inet,
  span interval,
  status payment_status,
  blob bytea,
  memo text,
  code varchar(16),
  flag boolean,
  small smallint,
  num integer,
  big bigint,
  ratio real,
  measure double precision,
  counts integer[],
  tags text[],
  amounts numeric(10,2)[],
  statuses payment_status[],
  fee positive_amount,
  fees positive_amount[],
  "Fee %" numeric(5,2),
  fixed char(5),
  tz timetz,
  net cidr,
  mac macaddr,
  markup xml`;

type TextRow = Record<string, string | null>;

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex');

/** Source rows as PostgreSQL input text; columns left out are NULL. */
const SOURCE_ROWS: TextRow[] = [
  {
    id: '1',
    amount: '9999999999999999.9999',
    free_numeric: '123456789012345678901234567890.123456789',
    free_numeric_2: '0.000000000000000000001',
    price: '92233720368547758.07',
    at: '2024-02-29 23:59:59.999999+05:30',
    local_at: '9999-12-31 23:59:59.999999',
    day: '5874897-12-31',
    tod: '24:00:00',
    ref: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    doc_json: '{ "dup": 1, "dup": 2, "n": 1.50 }',
    doc: '{"a": [1, 2.50, "x"], "b": null, "€": "\\u00e9"}',
    addr: '192.168.0.1/24',
    span: '1 year 2 mons -3 days 04:05:06.789',
    status: 'needs "review"',
    blob: '\\x00ff10',
    memo: 'Grüße 💸 ñ 日本 "q" \\ \n\ttab',
    code: 'ABCDEFGHIJKLMNOP',
    flag: 't',
    small: '32767',
    num: '2147483647',
    big: '9223372036854775807',
    ratio: '3.4028235e+38',
    measure: '1.7976931348623157e+308',
    counts: '{1,NULL,3}',
    tags: '{"a,b","c\\"d",NULL,"NULL","back\\\\slash","",plain,"{x}"," sp ",😀}',
    amounts: '{1.10,-2.25,NULL}',
    statuses: '{pending,"needs \\"review\\""}',
    fee: '0.01',
    fees: '{0.01,NULL,12345.60}',
    'Fee %': '999.99',
    fixed: 'ab',
    tz: '23:59:59.999999+05:30',
    net: '10.0.0.0/8',
    mac: '08:00:2b:01:02:03',
    markup: '<a b="1">x &amp; y</a>',
  },
  {
    id: '-9223372036854775808',
    amount: '-1234567890123456.7891',
    free_numeric: '-0.000000000000000000001',
    free_numeric_2: '-5',
    price: '-92233720368547758.08',
    at: '0044-03-15 12:00:00+00 BC',
    local_at: '4713-11-24 00:00:00 BC',
    day: '4714-11-24 BC',
    tod: '00:00:00',
    ref: '00000000-0000-0000-0000-000000000000',
    doc_json: '[]',
    doc: '[]',
    addr: '::1',
    span: '-178000000 years',
    status: 'pending',
    blob: '\\x',
    memo: '',
    code: '',
    flag: 'f',
    small: '-32768',
    num: '-2147483648',
    big: '-9223372036854775808',
    ratio: '-1e-45',
    measure: '-Infinity',
    counts: '{}',
    tags: '{}',
    amounts: '{}',
    statuses: '{}',
    fee: '9999999999.99',
    'Fee %': '-999.99',
    fixed: '',
    tz: '00:00:00-03',
    net: '::/0',
    mac: '00:00:00:00:00:00',
    markup: '<r/>',
  },
  {
    id: '3',
    amount: '0.0000',
    free_numeric: '0',
    free_numeric_2: '5.50',
    price: '0.00',
    at: '1970-01-01 00:00:00+00',
    local_at: '1969-12-31 23:59:59.999999',
    day: '1970-01-01',
    tod: '23:59:59.999999',
    ref: 'ffffffff-ffff-ffff-ffff-ffffffffffff',
    doc_json: '{"deep": {"x": [true, false, null]}}',
    doc: '{"deep": {"x": [true, false, null]}}',
    addr: '10.1.2.3',
    span: '00:00:00',
    status: 'settled',
    blob: `\\x${allBytes}`,
    memo: 'NULL',
    code: 'NULL',
    flag: 't',
    small: '0',
    num: '0',
    big: '0',
    ratio: 'NaN',
    measure: '-0',
    counts: '{-2147483648,2147483647}',
    tags: '{NULL}',
    amounts: '{0.00}',
    statuses: '{NULL,refunded}',
    fee: '1.00',
    'Fee %': '0.00',
    fixed: 'abcde',
    tz: '12:00:00+00',
    net: '192.168.0.0/16',
    mac: 'ff:ff:ff:ff:ff:ff',
    markup: 'plain text',
  },
  // NULL in every column but the key.
  { id: '4' },
  { id: '5', amount: '-0.0001', free_numeric: '1e-3', price: '0.01', at: 'infinity', local_at: '-infinity', day: 'infinity', ratio: 'Infinity', measure: 'NaN' },
  { id: '6', amount: '0.0001', price: '-0.01', at: '-infinity', local_at: 'infinity', day: '-infinity', ratio: '-Infinity', measure: 'Infinity', tod: '12:30:00.5' },
  { id: '7', at: '12345-06-07 08:09:10.111213-03:30', local_at: '1960-02-29 12:34:56.5', day: '1900-01-01', measure: '0.30000000000000004', ratio: '1.1' },
];

function insertSql(table: string, columns: string[]): string {
  const params = columns.map((_, i) => `$${i + 1}`).join(', ');
  return `INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) VALUES (${params})`;
}

function envelopeFor(after: Row, shape: TableShape): ChangeEnvelope {
  return testEnvelope({ op: 'r', before: null, after, schema: shape.schema, table: shape.table, lsn: 0x16b3748n, seq: 0n, tsMs: 1700000000000n, snapshot: true });
}

describe('type mapping against the real PostgreSQL', () => {
  let db: ScratchDatabase;
  let shape: TableShape;

  beforeAll(async () => {
    db = await createScratchDatabase('paysync_tm');
    await db.pool.query(`CREATE TYPE payment_status AS ENUM ('pending', 'settled', 'refunded', 'needs "review"')`);
    await db.pool.query('CREATE DOMAIN positive_amount AS numeric(12,2) CHECK (VALUE > 0)');
    await db.pool.query(`CREATE TABLE tm_source (${COLUMNS})`);
    await db.pool.query('CREATE TABLE tm_copy (LIKE tm_source INCLUDING ALL)');
    for (const row of SOURCE_ROWS) {
      const columns = Object.keys(row);
      await db.pool.query(insertSql('tm_source', columns), columns.map((c) => row[c]));
    }
    shape = await readTableShape(db.pool, 'public', 'tm_source');
  });
  afterAll(() => db?.drop());

  it('reads the table shape from the catalog', async () => {
    expect(shape.primaryKey).toEqual(['id']);
    expect(shape.columns).toHaveLength(36);
    const byName = new Map(shape.columns.map((c) => [c.name, c]));
    expect(byName.get('id')).toMatchObject({ typeName: 'int8', pgType: 'bigint', category: 'base', nullable: false, typeOid: 20 });
    expect(byName.get('amount')).toMatchObject({ typeName: 'numeric', pgType: 'numeric(20,4)', precision: 20, scale: 4, nullable: true });
    expect(byName.get('free_numeric')).toMatchObject({ typeName: 'numeric', pgType: 'numeric' });
    expect(byName.get('free_numeric')).not.toHaveProperty('precision');
    expect(byName.get('code')).toMatchObject({ pgType: 'character varying(16)' });
    expect(byName.get('status')).toMatchObject({ typeName: 'payment_status', category: 'enum' });
    expect(byName.get('amounts')).toMatchObject({ category: 'array', pgType: 'numeric(10,2)[]', element: { typeName: 'numeric', pgType: 'numeric(10,2)', precision: 10, scale: 2 } });
    expect(byName.get('statuses')).toMatchObject({ category: 'array', element: { typeName: 'payment_status', category: 'enum' } });
    // A domain travels as its base type, modifiers included.
    expect(byName.get('fee')).toMatchObject({ typeName: 'numeric', pgType: 'numeric(12,2)', precision: 12, scale: 2, typeOid: 1700 });
    expect(byName.get('fees')).toMatchObject({ category: 'array', pgType: 'numeric(12,2)[]', element: { typeName: 'numeric', precision: 12, scale: 2 } });

    await db.pool.query('CREATE TABLE tm_pk (b text, a integer, c integer, dropped text, PRIMARY KEY (c, a))');
    await db.pool.query('ALTER TABLE tm_pk DROP COLUMN dropped');
    const pk = await readTableShape(db.pool, 'public', 'tm_pk');
    expect(pk.primaryKey).toEqual(['c', 'a']);
    expect(pk.columns.map((c) => [c.name, c.nullable])).toEqual([['b', true], ['a', false], ['c', false]]);

    await expect(readTableShape(db.pool, 'public', 'no_such_table')).rejects.toThrow('table public.no_such_table does not exist');
    await db.pool.query('CREATE VIEW tm_view AS SELECT 1 AS x');
    await expect(readTableShape(db.pool, 'public', 'tm_view')).rejects.toThrow('does not exist');
  });

  it('round-trips every row through Avro back into PostgreSQL, identical in PostgreSQL', async () => {
    const { key, value } = avroSchemasFor(shape, 'paysync');
    const keyType = createAvroType(key);
    const valueType = createAvroType(value);
    const { rows } = await db.pool.query('SELECT * FROM tm_source ORDER BY id');
    expect(rows).toHaveLength(SOURCE_ROWS.length);

    const decodedById = new Map<string, Row>();
    for (const raw of rows) {
      const row = rowFromPgText(shape, raw as TextRow);
      const envelope = envelopeFor(row, shape);
      const decoded = valueType.fromBuffer(valueType.toBuffer(envelope)) as ChangeEnvelope;
      expect(decoded).toEqual(envelope);
      expect(keyType.fromBuffer(keyType.toBuffer({ id: row.id }))).toEqual({ id: row.id });
      const after = decoded.after as Row;
      decodedById.set(String(raw.id), after);
      const text = rowToPgText(shape, after);
      const columns = shape.columns.map((c) => c.name);
      await db.pool.query(insertSql('tm_copy', columns), columns.map((c) => text[c]));
    }

    // Values the contract promises, checked directly.
    const first = decodedById.get('1') as Row;
    const second = decodedById.get('-9223372036854775808') as Row;
    expect(first).toMatchObject({
      amount: '9999999999999999.9999',
      free_numeric: '123456789012345678901234567890.123456789',
      price: '92233720368547758.07',
      at: '2024-02-29T18:29:59.999999Z',
      local_at: '9999-12-31T23:59:59.999999',
      day: '5874897-12-31',
      tod: '24:00:00.000000',
      big: 9223372036854775807n,
      flag: true,
      Fee__: '999.99',
      tags: ['a,b', 'c"d', null, 'NULL', 'back\\slash', '', 'plain', '{x}', ' sp ', '😀'],
      amounts: ['1.10', '-2.25', null],
      fees: ['0.01', null, '12345.60'],
      status: 'needs "review"',
      doc_json: '{ "dup": 1, "dup": 2, "n": 1.50 }',
    });
    expect(first.blob).toEqual(Buffer.from([0, 255, 16]));
    expect(second).toMatchObject({ amount: '-1234567890123456.7891', price: '-92233720368547758.08', at: '-0043-03-15T12:00:00.000000Z', id: -9223372036854775808n, counts: [] });
    expect(decodedById.get('3')).toMatchObject({ measure: -0, ratio: NaN, free_numeric_2: '5.50' });
    expect(decodedById.get('5')).toMatchObject({ at: 'infinity', local_at: '-infinity', day: 'infinity', free_numeric: '0.001' });
    expect(decodedById.get('7')).toMatchObject({ at: '12345-06-07T11:39:10.111213Z' });
    const nulls = decodedById.get('4') as Row;
    expect(Object.entries(nulls).filter(([k, v]) => k !== 'id' && v !== null)).toEqual([]);

    // PostgreSQL's own verdict: same values (json and xml have no equality: compared as text)...
    const noEquality = new Set(['doc_json', 'markup']);
    const native = shape.columns.map((c) => (noEquality.has(c.name) ? `${quoteIdent(c.name)}::text` : quoteIdent(c.name))).join(', ');
    // ...and the same text, which is stricter (numeric scale, the sign of -0, char padding).
    const asText = shape.columns.map((c) => `${quoteIdent(c.name)}::text`).join(', ');
    for (const list of [native, asText]) {
      const { rows: diff } = await db.pool.query(
        `SELECT (SELECT count(*) FROM (SELECT ${list} FROM tm_source EXCEPT ALL SELECT ${list} FROM tm_copy) x) AS missing,
                (SELECT count(*) FROM (SELECT ${list} FROM tm_copy EXCEPT ALL SELECT ${list} FROM tm_source) y) AS extra,
                (SELECT count(*) FROM tm_copy) AS copied`,
      );
      expect(diff[0]).toEqual({ missing: '0', extra: '0', copied: String(SOURCE_ROWS.length) });
    }
  });

  it('refuses a numeric NaN with an error naming the column', async () => {
    const { rows } = await db.pool.query(`SELECT 'NaN'::numeric(20,4) AS amount, 'Infinity'::numeric AS free_numeric`);
    const amount = { columns: shape.columns.filter((c) => c.name === 'amount') };
    const free = { columns: shape.columns.filter((c) => c.name === 'free_numeric') };
    expect(() => rowFromPgText(amount, rows[0] as TextRow)).toThrow('column amount (numeric(20,4)): "NaN" is not an exact decimal (NaN and Infinity cannot travel as Avro decimals)');
    expect(() => rowFromPgText(free, rows[0] as TextRow)).toThrow('column free_numeric (numeric): "Infinity" is not an exact decimal');
  });

  it('adding or dropping a column keeps the value schema BACKWARD compatible', async () => {
    await db.pool.query('CREATE TABLE tm_evolve (id bigint PRIMARY KEY, amount numeric(20,4) NOT NULL, memo text)');
    await db.pool.query(`INSERT INTO tm_evolve VALUES (1, '12.3400', 'x')`);
    const before = await readTableShape(db.pool, 'public', 'tm_evolve');
    const older = createAvroType(avroSchemasFor(before, 'paysync').value);
    const { rows } = await db.pool.query('SELECT * FROM tm_evolve');
    const bytes = older.toBuffer(envelopeFor(rowFromPgText(before, rows[0] as TextRow), before));

    await db.pool.query('ALTER TABLE tm_evolve ADD COLUMN note text, DROP COLUMN memo');
    const after = await readTableShape(db.pool, 'public', 'tm_evolve');
    const newer = createAvroType(avroSchemasFor(after, 'paysync').value);
    const read = newer.fromBuffer(bytes, newer.createResolver(older)) as ChangeEnvelope;
    expect(read.after).toEqual({ id: 1n, amount: '12.3400', note: null });
  });
});
