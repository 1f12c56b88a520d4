import { avroSchemasFor, createAvroType, type ChangeEnvelope, type TableShape } from '@paysync/contract';
import { valueSchemaAsWrittenBy01 } from '../support/contract-01';

const column = (name: string, typeName: string, extra = {}) => ({ name, typeName, pgType: typeName, typeOid: 0, category: 'base' as const, nullable: true, ...extra });
const shape: TableShape = {
  schema: 'public',
  table: 'payments',
  columns: [column('id', 'int8'), column('amount', 'numeric', { pgType: 'numeric(20,4)', precision: 20, scale: 4 }), column('at', 'timestamptz'), column('doc', 'jsonb')],
  primaryKey: ['id'],
};

describe('the 0.2 contract reads what 0.1 wrote (BACKWARD)', () => {
  it('new fields get their defaults, the boolean snapshot its own branch, the rows their values', () => {
    const { value } = avroSchemasFor(shape, 'pay');
    const older = createAvroType(valueSchemaAsWrittenBy01(value));
    const newer = createAvroType(value);
    const after = { id: 1n, amount: '-1.0000', at: '2024-02-29T18:29:59.123456Z', doc: '{}' };
    const written = {
      before: null,
      after,
      op: 'r',
      source: { version: '0.1.0', connector: 'paysync', db: 'd', schema: 'public', table: 'payments', lsn: 9n, seq: 0n, txId: null, ts_ms: 1n, snapshot: true },
      ts_ms: 2n,
      unchanged_toast: [],
    };
    const read = newer.fromBuffer(older.toBuffer(written), newer.createResolver(older)) as ChangeEnvelope;
    expect(read.source).toMatchObject({ snapshot: true, name: '', sequence: null, ts_us: null, ts_ns: null, xmin: null, lsn: 9n, seq: 0n, version: '0.1.0' });
    expect(read).toMatchObject({ op: 'r', after, transaction: null, ts_us: null, ts_ns: null });
  });
});
