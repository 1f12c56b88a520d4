/**
 * The event contract as paysync 0.1 wrote it, for tests that prove today's schemas read 0.1's
 * records: no Kafka Connect names, no Debezium source fields (name, sequence, ts_us, ts_ns, xmin),
 * no transaction block or top-level ts_us/ts_ns, and a boolean `source.snapshot`. The rows are the same.
 */
const SOURCE_01 = {
  type: 'record',
  name: 'Source',
  namespace: 'io.paysync.connector',
  fields: [
    ...['version', 'connector', 'db', 'schema', 'table'].map((name) => ({ name, type: 'string' })),
    { name: 'lsn', type: 'long' },
    { name: 'seq', type: 'long' },
    { name: 'txId', type: ['null', 'long'], default: null },
    { name: 'ts_ms', type: 'long' },
    { name: 'snapshot', type: 'boolean' },
  ],
};

const ADDED_IN_02 = new Set(['transaction', 'ts_us', 'ts_ns']);

/** `schema` without any `connect.*` attribute, at any depth. */
export function withoutConnectNames(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutConnectNames);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(Object.entries(schema).filter(([k]) => !k.startsWith('connect.')).map(([k, v]) => [k, withoutConnectNames(v)]));
}

/** Today's value schema of a table (avroSchemasFor) as 0.1 registered it. */
export function valueSchemaAsWrittenBy01(value: object): object {
  const envelope = withoutConnectNames(value) as { fields: { name: string; type: unknown }[] };
  const fields = envelope.fields.filter((f) => !ADDED_IN_02.has(f.name)).map((f) => (f.name === 'source' ? { ...f, type: SOURCE_01 } : f));
  return { ...envelope, fields };
}
