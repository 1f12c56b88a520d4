import { avroSchemasFor } from './avro-schemas';
import { createAvroType } from './avro-type';
import { keyEncoder } from './field-writers';
import { rowFromPgText } from './rows';
import type { ColumnShape, ColumnType, TableShape } from './table-shape';
import { frame } from './wire-format';

const t = (typeName: string, extra: Partial<ColumnType> = {}): ColumnType => ({ typeName, pgType: typeName, typeOid: 0, category: 'base', ...extra });
const col = (name: string, type: ColumnType): ColumnShape => ({ name, nullable: false, ...type });
const numeric = (precision: number, scale: number) => t('numeric', { pgType: `numeric(${precision},${scale})`, precision, scale });

/** A key of every kind the fast paths take, and some they leave to avsc. */
const shape: TableShape = {
  schema: 'public',
  table: 'ledger',
  columns: [col('id', t('int8')), col('amount', numeric(20, 4)), col('wide', numeric(38, 0)), col('at', t('timestamptz')), col('local', t('timestamp')), col('free', t('numeric')), col('ref', t('text')), col('n', t('int4'))],
  primaryKey: ['id', 'amount', 'wide', 'at', 'local', 'free', 'ref', 'n'],
};
const keyType = createAvroType(avroSchemasFor(shape, 'pay').key);
const encode = keyEncoder(77, keyType);
const key = (values: Partial<Record<string, string>>) =>
  rowFromPgText(shape, { id: '1', amount: '0.0000', wide: '0', at: '2024-02-29 18:29:59.123456+00', local: '2024-02-29 18:29:59', free: '1.5', ref: 'r', n: '7', ...values });

describe('keyEncoder', () => {
  it.each([
    ['small values', key({})],
    ['int8 at both ends and past 2^52', key({ id: '-9223372036854775808' }), key({ id: '9223372036854775807' }), key({ id: '4503599627370497' })],
    ['decimals around byte boundaries, negative and zero', ...['127.0000', '-128.0000', '0.0127', '-0.0128', '32767.0000', '-0.0001', '99999999999.9999', '-99999999999.9999'].map((amount) => key({ amount }))],
    ['decimals past 15 digits (BigInt path)', key({ amount: '9999999999999999.9999' }), key({ wide: '-12345678901234567890123456789012345678' })],
    ['timestamps: infinities, BC, before 1970', key({ at: 'infinity', local: '-infinity' }), key({ at: '0044-03-15 12:00:00+00 BC' }), key({ at: '1969-12-31 23:59:59.999999+00' })],
    ['non-ASCII text', key({ ref: 'Grüße 💸 ñ' })],
  ])('writes exactly avsc\'s bytes for %s', (_what, ...keys) => {
    for (const value of keys) expect(encode(value).toString('hex')).toBe(frame(77, keyType.toBuffer(value)).toString('hex'));
  });

  it('refuses a missing or mistyped key value as avsc does', () => {
    expect(() => encode({ ...key({}), id: undefined as unknown as bigint })).toThrow('invalid "long"');
    expect(() => encode({ ...key({}), amount: 12 as unknown as string })).toThrow();
    expect(() => encode({ ...key({}), at: 5 as unknown as string })).toThrow();
  });
});
