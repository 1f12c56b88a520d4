import { createAvroType } from './avro-type';
import { avroFieldName } from './avro-names';
import { avroSchemasFor, type ChangeEnvelope } from './avro-schemas';
import { rowFromPgText, rowToPgText } from './rows';
import type { ColumnShape, ColumnType, TableShape } from './table-shape';

const t = (typeName: string, extra: Partial<ColumnType> = {}): ColumnType => ({ typeName, pgType: typeName, typeOid: 0, category: 'base', ...extra });
const col = (name: string, type: ColumnType, nullable = true): ColumnShape => ({ name, nullable, ...type });

const shape: TableShape = {
  schema: 'public',
  table: 'payments',
  columns: [col('id', t('int8'), false), col('Amount USD', t('numeric', { pgType: 'numeric(20,4)', precision: 20, scale: 4 })), col('memo', t('text'))],
  primaryKey: ['id'],
};

function envelopeOf(after: ChangeEnvelope['after'], overrides: Partial<ChangeEnvelope> = {}): ChangeEnvelope {
  return {
    before: null,
    after,
    op: 'c',
    source: {
      version: '1',
      connector: 'paysync',
      name: 'pay',
      ts_ms: 1n,
      snapshot: 'false',
      db: 'd',
      sequence: '["100","120"]',
      ts_us: 1000n,
      ts_ns: 1000000n,
      schema: 'public',
      table: 'payments',
      txId: 5n,
      lsn: 2n ** 40n,
      xmin: null,
      seq: 0n,
    },
    transaction: { id: '5:1099511627776', total_order: 1n, data_collection_order: 1n },
    ts_ms: 2n,
    ts_us: 2000n,
    ts_ns: 2000000n,
    unchanged_toast: [],
    ...overrides,
  };
}

type FieldList = { fields: Record<string, unknown>[] };

describe('avroSchemasFor', () => {
  it('builds a Debezium-shaped envelope and keeps the PostgreSQL names and types as attributes', () => {
    const { key, value } = avroSchemasFor(shape, 'pay');
    expect(key).toMatchObject({ type: 'record', name: 'Key', namespace: 'pay.public.payments', fields: [{ name: 'id', type: 'long', 'pg.type': 'int8' }] });
    const fields = (value as FieldList).fields;
    expect(value).toMatchObject({ type: 'record', name: 'Envelope', namespace: 'pay.public.payments' });
    expect(fields.map((f) => f.name)).toEqual(['before', 'after', 'op', 'source', 'transaction', 'ts_ms', 'ts_us', 'ts_ns', 'unchanged_toast']);
    const source = (fields[3].type as FieldList).fields.map((f) => f.name);
    expect(source).toEqual(['version', 'connector', 'name', 'ts_ms', 'snapshot', 'db', 'sequence', 'ts_us', 'ts_ns', 'schema', 'table', 'txId', 'lsn', 'xmin', 'seq']);
    expect(fields[1]).toEqual({ name: 'after', type: ['null', 'pay.public.payments.Value'], default: null });
    const row = ((fields[0].type as unknown[])[1] as FieldList).fields;
    // NOT NULL columns are nullable too: a delete's before-image may carry only the key.
    expect(row[0]).toEqual({ name: 'id', type: ['null', 'long'], default: null, 'pg.type': 'int8' });
    expect(row[1]).toMatchObject({ name: 'Amount_USD', 'pg.name': 'Amount USD', 'pg.type': 'numeric(20,4)', default: null });
    expect(row[2]).not.toHaveProperty('pg.name');
  });

  it('encodes and decodes a full envelope, NULLs included', () => {
    const { key, value } = avroSchemasFor(shape, 'pay');
    const after = rowFromPgText(shape, { id: '7', 'Amount USD': '-0.5000', memo: null });
    expect(after).toEqual({ id: 7n, Amount_USD: '-0.5000', memo: null });
    const envelope = envelopeOf(after, { before: { id: 7n, Amount_USD: null, memo: null }, op: 'u', unchanged_toast: ['memo'] });
    const type = createAvroType(value);
    expect(type.fromBuffer(type.toBuffer(envelope))).toEqual(envelope);
    expect(rowToPgText(shape, after)).toEqual({ id: '7', 'Amount USD': '-0.5000', memo: null });
    const keyType = createAvroType(key);
    expect(keyType.fromBuffer(keyType.toBuffer({ id: 7n }))).toEqual({ id: 7n });
    expect(() => keyType.toBuffer({ id: null })).toThrow();
  });

  it('defines a named type once and refers to it afterwards (two unconstrained numeric columns)', () => {
    const free: TableShape = {
      schema: 'public',
      table: 'ledger',
      columns: [col('id', t('numeric')), col('a', t('numeric')), col('b', { ...t('_numeric'), category: 'array', element: t('numeric') })],
      primaryKey: ['id', 'a'],
    };
    const { key, value } = avroSchemasFor(free, 'p');
    const keyType = createAvroType(key);
    expect(keyType.fromBuffer(keyType.toBuffer({ id: '1.5', a: '-0.001' }))).toEqual({ id: '1.5', a: '-0.001' });
    const row = rowFromPgText(free, { id: '1', a: '123456789012345678901234567890.5', b: '{1.10,NULL}' });
    const type = createAvroType(value);
    expect((type.fromBuffer(type.toBuffer(envelopeOf(row))) as ChangeEnvelope).after).toEqual({ id: '1', a: '123456789012345678901234567890.5', b: ['1.10', null] });
  });

  it('names: sanitized fields and namespace, clashes refused, a key required', () => {
    expect(avroFieldName('2fa code')).toBe('_2fa_code');
    expect(avroFieldName('Straße')).toBe('Stra_e');
    expect(avroSchemasFor({ ...shape, table: 'pay-ments 2024' }, 'my-app').value).toMatchObject({ namespace: 'my_app.public.pay_ments_2024' });
    expect(avroSchemasFor({ ...shape, schema: '1st' }, 'p').value).toMatchObject({ namespace: 'p._1st.payments' });
    expect(() => avroSchemasFor({ ...shape, columns: [...shape.columns, col('Amount-USD', t('text'))] }, 'p')).toThrow(
      'columns "Amount USD" and "Amount-USD" both map to Avro field Amount_USD',
    );
    expect(() => avroSchemasFor({ ...shape, primaryKey: [] }, 'p')).toThrow('table public.payments has no primary key');
  });

  it('names the column when a value cannot be converted', () => {
    expect(() => rowFromPgText(shape, { id: '1', 'Amount USD': 'NaN', memo: null })).toThrow(
      'column Amount USD (numeric(20,4)): "NaN" is not an exact decimal (NaN and Infinity cannot travel as Avro decimals)',
    );
  });

  it('adding and dropping a nullable column stays readable (BACKWARD)', () => {
    const older = createAvroType(avroSchemasFor(shape, 'pay').value);
    const newer = createAvroType(avroSchemasFor({ ...shape, columns: [...shape.columns, col('note', t('text'))] }, 'pay').value);
    const dropped = createAvroType(avroSchemasFor({ ...shape, columns: shape.columns.slice(0, 2) }, 'pay').value);
    const written = envelopeOf({ id: 1n, Amount_USD: '1.0000', memo: 'm' });
    written.source.txId = null;
    const bytes = older.toBuffer(written);
    expect((newer.fromBuffer(bytes, newer.createResolver(older)) as ChangeEnvelope).after).toEqual({ id: 1n, Amount_USD: '1.0000', memo: 'm', note: null });
    expect((dropped.fromBuffer(bytes, dropped.createResolver(older)) as ChangeEnvelope).after).toEqual({ id: 1n, Amount_USD: '1.0000' });
  });

  it('a schema that went through JSON (as a registry returns it) reads the same values', () => {
    const { value } = avroSchemasFor({ ...shape, columns: [...shape.columns, col('at', t('timestamptz')), col('free', t('numeric'))] }, 'pay');
    const fromRegistry = createAvroType(JSON.parse(JSON.stringify(value)) as object);
    const envelope = envelopeOf({ id: 1n, Amount_USD: '1.0000', memo: null, at: '2024-01-01T00:00:00.000001Z', free: '-0.5' });
    expect(fromRegistry.fromBuffer(createAvroType(value).toBuffer(envelope))).toEqual(envelope);
  });

});
