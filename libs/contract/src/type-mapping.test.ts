import { createAvroType } from './avro-type';
import { avroSchemasFor, rowFromPgText, rowToPgText, type ChangeEnvelope } from './avro-schemas';
import type { ColumnShape, ColumnType, TableShape } from './table-shape';
import { codecFor, type ColumnValue } from './type-mapping';

const t = (typeName: string, extra: Partial<ColumnType> = {}): ColumnType => ({ typeName, pgType: typeName, typeOid: 0, category: 'base', ...extra });
const arrayOf = (element: ColumnType): ColumnType => ({ typeName: `_${element.typeName}`, pgType: `${element.pgType}[]`, typeOid: 0, category: 'array', element });

/** PostgreSQL text -> JS -> Avro bytes -> JS -> PostgreSQL text. */
function roundTrip(type: ColumnType, text: string): { value: ColumnValue; back: string } {
  const codec = codecFor(type);
  const avro = createAvroType({ type: 'record', name: 'R', fields: [{ name: 'v', type: ['null', codec.avro] }] });
  const value = codec.fromPgText(text);
  const decoded = (avro.fromBuffer(avro.toBuffer({ v: value })) as { v: ColumnValue }).v;
  expect(decoded).toEqual(value);
  return { value: decoded, back: codec.toPgText(decoded) };
}

describe('type mapping: exact round trips', () => {
  const numeric204 = t('numeric', { pgType: 'numeric(20,4)', precision: 20, scale: 4 });

  it.each([
    ['9999999999999999.9999'],
    ['-9999999999999999.9999'],
    ['0.0001'],
    ['-0.0001'],
    ['0.0000'],
    ['-1234567890123456.7891'],
  ])('numeric(20,4) %s', (text) => {
    expect(roundTrip(numeric204, text)).toEqual({ value: text, back: text });
  });

  it('numeric(20,4) refuses NaN and digits it would have to round', () => {
    expect(() => codecFor(numeric204).fromPgText('NaN')).toThrow('NaN and Infinity cannot travel');
    expect(() => codecFor(numeric204).fromPgText('1.00001')).toThrow('refusing to round');
  });

  it.each([['123456789012345678901234567890.123456789'], ['-0.000000000000000000001'], ['5'], ['0'], ['-5.50']])('unconstrained numeric %s', (text) => {
    expect(roundTrip(t('numeric'), text)).toEqual({ value: text, back: text });
  });

  it('money from its locale form', () => {
    expect(roundTrip(t('money'), '$92,233,720,368,547,758.07').value).toBe('92233720368547758.07');
    expect(roundTrip(t('money'), '-$1,234.50').value).toBe('-1234.50');
  });

  it.each([
    ['2024-02-29 18:29:59.123456+00', '2024-02-29T18:29:59.123456Z', '2024-02-29 18:29:59.123456+00'],
    ['2024-02-29 23:59:59.5+05:30', '2024-02-29T18:29:59.500000Z', '2024-02-29 18:29:59.500000+00'],
    ['1970-01-01 00:00:00+00', '1970-01-01T00:00:00.000000Z', '1970-01-01 00:00:00.000000+00'],
    ['1969-12-31 23:59:59.999999+00', '1969-12-31T23:59:59.999999Z', '1969-12-31 23:59:59.999999+00'],
    ['9999-12-31 23:59:59.999999+00', '9999-12-31T23:59:59.999999Z', '9999-12-31 23:59:59.999999+00'],
    ['0044-03-15 12:00:00+00 BC', '-0043-03-15T12:00:00.000000Z', '0044-03-15 12:00:00.000000+00 BC'],
    ['infinity', 'infinity', 'infinity'],
    ['-infinity', '-infinity', '-infinity'],
  ])('timestamptz %s', (text, value, back) => {
    expect(roundTrip(t('timestamptz'), text)).toEqual({ value, back });
  });

  it('timestamp, date and time', () => {
    expect(roundTrip(t('timestamp'), '0001-01-01 00:00:00')).toEqual({ value: '0001-01-01T00:00:00.000000', back: '0001-01-01 00:00:00.000000' });
    expect(roundTrip(t('date'), '1900-01-01')).toEqual({ value: '1900-01-01', back: '1900-01-01' });
    expect(roundTrip(t('date'), 'infinity').value).toBe('infinity');
    expect(roundTrip(t('time'), '24:00:00')).toEqual({ value: '24:00:00.000000', back: '24:00:00.000000' });
    expect(roundTrip(t('time'), '23:59:59.999999').value).toBe('23:59:59.999999');
  });

  it('bigint at both ends of its range, floats, booleans', () => {
    expect(roundTrip(t('int8'), '9223372036854775807').value).toBe(9223372036854775807n);
    expect(roundTrip(t('int8'), '-9223372036854775808').back).toBe('-9223372036854775808');
    expect(roundTrip(t('float8'), 'NaN').value).toBeNaN();
    expect(roundTrip(t('float8'), '-Infinity').value).toBe(-Infinity);
    expect(roundTrip(t('float8'), '0.30000000000000004').back).toBe('0.30000000000000004');
    expect(roundTrip(t('float4'), '1.1').value).toBe(Math.fround(1.1));
    expect(roundTrip(t('bool'), 'f').value).toBe(false);
  });

  it('uuid, json, text with non-ASCII, bytea, enum', () => {
    expect(roundTrip(t('uuid'), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11').value).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(roundTrip(t('jsonb'), '{"a": [1, 2.50]}').value).toBe('{"a": [1, 2.50]}');
    expect(roundTrip(t('text'), 'Grüße 💸 "q" \\').value).toBe('Grüße 💸 "q" \\');
    expect(roundTrip(t('bytea'), '\\x00ff10')).toEqual({ value: Buffer.from([0, 255, 16]), back: '\\x00ff10' });
    expect(roundTrip(t('bytea'), '\\x').back).toBe('\\x');
    expect(roundTrip(t('payment_status', { category: 'enum' }), 'settled').value).toBe('settled');
  });

  it('arrays with quoting, NULL and "NULL"', () => {
    expect(roundTrip(arrayOf(t('text')), '{"a,b","c\\"d",NULL,"NULL",plain,"back\\\\slash"}').value).toEqual(['a,b', 'c"d', null, 'NULL', 'plain', 'back\\slash']);
    expect(roundTrip(arrayOf(t('int4')), '{1,NULL,3}')).toEqual({ value: [1, null, 3], back: '{"1",NULL,"3"}' });
    expect(roundTrip(arrayOf(t('numeric', { precision: 10, scale: 2 })), '{1.10,-2.25}').value).toEqual(['1.10', '-2.25']);
    expect(roundTrip(arrayOf(t('text')), '{}').value).toEqual([]);
    expect(() => codecFor(arrayOf(t('int4'))).fromPgText('{{1,2},{3,4}}')).toThrow('multi-dimensional');
    expect(() => codecFor(arrayOf(t('int4'))).fromPgText('[0:1]={1,2}')).toThrow('explicit bounds');
  });
});

describe('envelope schemas', () => {
  const col = (name: string, type: ColumnType): ColumnShape => ({ name, nullable: true, ...type });
  const shape: TableShape = {
    schema: 'public',
    table: 'payments',
    columns: [col('id', t('int8')), col('Amount USD', t('numeric', { pgType: 'numeric(20,4)', precision: 20, scale: 4 })), col('memo', t('text'))],
    primaryKey: ['id'],
  };

  it('encodes a full envelope and keeps the PostgreSQL names and types as attributes', () => {
    const { key, value } = avroSchemasFor(shape, 'pay');
    const fields = (value as { fields: { name: string; type: unknown[] }[] }).fields;
    const row = (fields[0].type[1] as { fields: Record<string, unknown>[] }).fields;
    expect(row[1]).toMatchObject({ name: 'Amount_USD', 'pg.name': 'Amount USD', 'pg.type': 'numeric(20,4)', default: null });
    const after = rowFromPgText(shape, { id: '7', 'Amount USD': '-0.5000', memo: null });
    const envelope: ChangeEnvelope = {
      before: null,
      after,
      op: 'c',
      source: { version: '1', connector: 'paysync', db: 'd', schema: 'public', table: 'payments', lsn: 2n ** 40n, seq: 0n, txId: 5n, ts_ms: 1n, snapshot: false },
      ts_ms: 2n,
      unchanged_toast: [],
    };
    const type = createAvroType(value);
    expect(type.fromBuffer(type.toBuffer(envelope))).toEqual(envelope);
    expect(rowToPgText(shape, after)).toEqual({ id: '7', 'Amount USD': '-0.5000', memo: null });
    expect(createAvroType(key).fromBuffer(createAvroType(key).toBuffer({ id: 7n }))).toEqual({ id: 7n });
  });

  it('adding and dropping a nullable column stays readable both ways (BACKWARD)', () => {
    const older = createAvroType(avroSchemasFor(shape, 'pay').value);
    const newer = createAvroType(avroSchemasFor({ ...shape, columns: [...shape.columns, col('note', t('text'))] }, 'pay').value);
    const dropped = createAvroType(avroSchemasFor({ ...shape, columns: shape.columns.slice(0, 2) }, 'pay').value);
    const envelope = {
      before: null,
      after: { id: 1n, Amount_USD: '1.0000', memo: 'm' },
      op: 'c',
      source: { version: '1', connector: 'paysync', db: 'd', schema: 'public', table: 'payments', lsn: 1n, seq: 0n, txId: null, ts_ms: 1n, snapshot: false },
      ts_ms: 1n,
      unchanged_toast: [],
    };
    const bytes = older.toBuffer(envelope);
    expect((newer.fromBuffer(bytes, newer.createResolver(older)) as ChangeEnvelope).after).toEqual({ id: 1n, Amount_USD: '1.0000', memo: 'm', note: null });
    expect((dropped.fromBuffer(bytes, dropped.createResolver(older)) as ChangeEnvelope).after).toEqual({ id: 1n, Amount_USD: '1.0000' });
  });

  it('refuses two columns that map to the same Avro name, and a table without a key', () => {
    expect(() => avroSchemasFor({ ...shape, columns: [...shape.columns, col('Amount-USD', t('text'))] }, 'p')).toThrow('both map to Avro field Amount_USD');
    expect(() => avroSchemasFor({ ...shape, primaryKey: [] }, 'p')).toThrow('no primary key');
  });
});
