import { Type, type Schema } from 'avsc';
import { BigIntLong } from './codecs/bigint-long';
import { DecimalType, VariableDecimalType } from './codecs/decimal';
import { DateType, LocalTimestampMicrosType, TimeMicrosType, TimestampMicrosType } from './codecs/temporal';

const logicalTypes = {
  decimal: DecimalType,
  'paysync-variable-decimal': VariableDecimalType,
  'timestamp-micros': TimestampMicrosType,
  'local-timestamp-micros': LocalTimestampMicrosType,
  date: DateType,
  'time-micros': TimeMicrosType,
};

/** The one place a schema becomes an avsc Type: BigInt longs and paysync's exact logical types. */
export function createAvroType(schema: object): Type {
  // avsc adds every named type to the registry it is given, so each parse gets a fresh one.
  return Type.forSchema(withPlainLongs(schema) as Schema, { registry: { long: BigIntLong }, logicalTypes });
}

/** `{"type": "long"}` (as a registry may return it) -> "long", so the BigInt mapping applies. */
function withPlainLongs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withPlainLongs);
  if (schema === null || typeof schema !== 'object') return schema;
  const node = schema as Record<string, unknown>;
  if (node.type === 'long' && node.logicalType === undefined && node.name === undefined) return 'long';
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, withPlainLongs(v)]));
}
