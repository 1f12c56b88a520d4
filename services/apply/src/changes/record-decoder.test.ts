import { avroSchemasFor, envelopeEncoder, framedEncoder, RegistrySerde, rowFromPgText, UndecodableRecordError, type ChangeEnvelope, type TableShape } from '@paysync/contract';
import { UnknownSchemaIdError, type SchemaRegistryClient } from '@paysync/registry';
import { RecordDecoder } from './record-decoder';

const shape: TableShape = {
  schema: 'public',
  table: 'payments',
  columns: [
    { name: 'id', typeName: 'int8', pgType: 'int8', typeOid: 0, category: 'base', nullable: false },
    { name: 'amount', typeName: 'numeric', pgType: 'numeric(20,4)', typeOid: 0, category: 'base', nullable: true, precision: 20, scale: 4 },
  ],
  primaryKey: ['id'],
};
const after = rowFromPgText(shape, { id: '7', amount: '-12.3400' });
const envelope: ChangeEnvelope = {
  before: null,
  after,
  op: 'c',
  source: { version: '0.2.0', connector: 'paysync', name: 'pay', ts_ms: 1700000000123n, snapshot: 'false', db: 'payments', schema: 'public', table: 'payments', txId: 771n, lsn: 2n ** 40n, xmin: null, seq: 3n },
  ts_ms: 1700000000200n,
  unchanged_toast: [],
};

/** A registry that keeps schemas in memory and counts the fetches, the boundary faked. */
function memoryRegistry() {
  const schemas: object[] = [];
  const registry = {
    fetches: 0,
    register: async (_subject: string, schema: object) => schemas.push(schema),
    fetchSchema: async (id: number) => {
      registry.fetches += 1;
      const schema = schemas[id - 1];
      if (!schema) throw new UnknownSchemaIdError(id);
      return schema;
    },
  };
  return registry;
}

async function encodedRecord(registry: ReturnType<typeof memoryRegistry>) {
  const writer = new RegistrySerde(registry as unknown as SchemaRegistryClient);
  const { key, value } = avroSchemasFor(shape, 'pay');
  const keyEncoder = await writer.encoderFor('pay.public.payments-key', key, framedEncoder);
  const valueEncoder = await writer.encoderFor('pay.public.payments-value', value, envelopeEncoder);
  return { key: keyEncoder.encode({ id: 7n }), value: valueEncoder.encode(envelope), offset: 5n };
}

describe('RecordDecoder', () => {
  it('fetches a schema it does not know, then decodes at once, without a promise', async () => {
    const registry = memoryRegistry();
    const record = await encodedRecord(registry);
    const decoder = new RecordDecoder(new RegistrySerde(registry as unknown as SchemaRegistryClient));

    const first = decoder.decode(record);
    expect(first).toBeInstanceOf(Promise);
    const change = await first;
    expect(registry.fetches).toBe(2);
    expect(change).toMatchObject({ kind: 'row', rowKey: '["7"]', row: after, version: { lsn: 2n ** 40n, seq: 3n }, commitTimeMs: 1700000000123, offset: 5n });

    const again = decoder.decode({ ...record, offset: 6n });
    expect(again).not.toBeInstanceOf(Promise);
    expect(again).toMatchObject({ kind: 'row', rowKey: '["7"]', row: after, offset: 6n });
    expect(registry.fetches).toBe(2);
  });

  it('makes a record of a schema id the registry does not know undecodable (a dead letter), not a retry', async () => {
    const registry = memoryRegistry();
    const record = await encodedRecord(registry);
    const unknown = Buffer.from(record.value);
    unknown.writeInt32BE(99, 1);
    const decoder = new RecordDecoder(new RegistrySerde(registry as unknown as SchemaRegistryClient));
    await expect(decoder.decode({ ...record, value: unknown })).rejects.toThrow(UndecodableRecordError);
  });

  it('throws at once on bytes that are not the wire format', () => {
    const decoder = new RecordDecoder(new RegistrySerde(memoryRegistry() as unknown as SchemaRegistryClient));
    expect(() => decoder.decode({ key: Buffer.from('k'), value: Buffer.from('not avro'), offset: 1n })).toThrow(UndecodableRecordError);
  });
});
