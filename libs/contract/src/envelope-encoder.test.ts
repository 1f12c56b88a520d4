import { avroSchemasFor } from './avro-schemas';
import { createAvroType } from './avro-type';
import type { ChangeEnvelope } from './change-envelope';
import { envelopeEncoder } from './envelope-encoder';
import { rowFromPgText } from './rows';
import type { ColumnShape, ColumnType, TableShape } from './table-shape';
import { frame } from './wire-format';

const t = (typeName: string, extra: Partial<ColumnType> = {}): ColumnType => ({ typeName, pgType: typeName, typeOid: 0, category: 'base', ...extra });
const col = (name: string, type: ColumnType): ColumnShape => ({ name, nullable: true, ...type });
const shape: TableShape = {
  schema: 'public',
  table: 'payments',
  columns: [
    col('id', t('int8')),
    col('amount', t('numeric', { pgType: 'numeric(20,4)', precision: 20, scale: 4 })),
    col('free', t('numeric')),
    col('at', t('timestamptz')),
    col('day', t('date')),
    col('memo', t('text')),
    col('blob', t('bytea')),
    col('tags', { ...t('_text', { pgType: 'text[]', category: 'array' }), element: t('text') }),
  ],
  primaryKey: ['id'],
};
const row = (id: number, memo: string | null) =>
  rowFromPgText(shape, { id: String(id), amount: '-1234.5000', free: '0.000001', at: '2024-02-29 18:29:59.123456+00', day: '2024-02-29', memo, blob: '\\x00ff', tags: '{a,NULL,"b c"}' });

function envelope(overrides: Partial<ChangeEnvelope> = {}, source: Partial<ChangeEnvelope['source']> = {}): ChangeEnvelope {
  return {
    before: null,
    after: row(1, 'x'),
    op: 'c',
    source: {
      version: '0.2.0', connector: 'paysync', name: 'pay', ts_ms: 1700000000123n, snapshot: 'false', db: 'payments', sequence: '["100","120"]',
      ts_us: 1700000000123456n, ts_ns: 1700000000123456000n, schema: 'public', table: 'payments', txId: 771n, lsn: 2n ** 40n, xmin: null, seq: 0n, ...source,
    },
    transaction: { id: '771:1099511627776', total_order: 1n, data_collection_order: 1n },
    ts_ms: 1700000000200n,
    ts_us: 1700000000200000n,
    ts_ns: 1700000000200000000n,
    unchanged_toast: [],
    ...overrides,
  };
}

describe('envelopeEncoder', () => {
  const { value } = avroSchemasFor(shape, 'pay');
  const type = createAvroType(value);
  const encode = envelopeEncoder(4242, type);
  const reference = (e: ChangeEnvelope) => frame(4242, type.toBuffer(e));

  it.each([
    ['an insert', envelope()],
    ['an update with its before image and unchanged TOAST', envelope({ op: 'u', before: row(1, 'old'), after: row(1, null), unchanged_toast: ['memo', 'blob'] })],
    ['a delete', envelope({ op: 'd', before: row(1, 'x'), after: null })],
    ['a truncate', envelope({ op: 't', after: null, transaction: null })],
    ['a snapshot row', envelope({ op: 'r', transaction: null }, { snapshot: 'incremental', sequence: null, txId: null })],
    ['0.1-style fields left out', envelope({ transaction: undefined, ts_us: undefined, ts_ns: undefined }, { name: undefined, sequence: undefined, ts_us: undefined, ts_ns: undefined, xmin: undefined })],
    ['a boolean snapshot (0.1)', envelope({}, { snapshot: true })],
    ['longs past 2^52 and negative', envelope({ ts_ns: 2n ** 63n - 1n }, { lsn: 2n ** 62n + 1n, seq: 2n ** 53n + 3n, txId: -(2n ** 63n), xmin: -(2n ** 52n) - 1n, ts_ms: 2n ** 52n, ts_us: -(2n ** 52n) })],
    ['a row with fields null and left out', envelope({ after: (({ blob: _left, ...rest }) => ({ ...rest, day: null }))(row(5, null)) })],
    ['non-ASCII strings', envelope({ after: row(2, 'Grüße 💸 "q" \\ ñ') }, { db: 'zahlungsverkehr_ü', table: 'paiements_é' })],
    ['a row larger than the first buffer', envelope({ after: row(3, 'x'.repeat(100_000)) })],
    ['a row larger still', envelope({ before: row(3, 'y'.repeat(300_000)), after: row(3, 'x'.repeat(200_000)), op: 'u' })],
  ])('writes exactly avsc\'s bytes for %s', (_what, e) => {
    expect(encode(e).toString('hex')).toBe(reference(e).toString('hex'));
  });

  it('keeps writing right after its buffer grew, and each record is a copy of its own', () => {
    const small = envelope();
    const first = encode(small);
    encode(envelope({ after: row(4, 'z'.repeat(70_000)) }));
    expect(encode(small).equals(first)).toBe(true);
    expect(first.equals(reference(small))).toBe(true);
  });

  it('refuses what avsc refuses instead of writing a wrong record', () => {
    expect(() => encode(envelope({}, { lsn: 5 as unknown as bigint }))).toThrow('invalid "long"');
    expect(() => encode(envelope({}, { lsn: 2n ** 63n }))).toThrow('invalid "long"');
    expect(() => encode(envelope({}, { db: undefined as unknown as string }))).toThrow('invalid "string"');
    expect(() => encode(envelope({ after: { ...row(1, 'x'), amount: '1.00001' } }))).toThrow();
  });
});
