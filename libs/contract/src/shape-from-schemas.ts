import type { ColumnShape, ColumnType, TableShape } from './table-shape';

/**
 * The inverse of avroSchemasFor: the table shape a writer's key and value schemas describe, so a
 * sink can create and write the table knowing only the records it reads. Each column's codec type
 * is worked out from its Avro type; its exact PostgreSQL type comes from the field's "pg.type".
 */
export function shapeFromSchemas(keySchema: object | null, valueSchema: object): TableShape & { fields: string[] } {
  const valueRow = findValueRecord(valueSchema);
  const columns = valueRow.fields.map((field) => columnOf(field));
  // Without a key schema (a truncate has no key) the primary key is not known: empty.
  const primaryKey = keySchema === null ? [] : keyFields(keySchema as AvroRecord).map((field) => field['pg.name'] ?? field.name);
  for (const name of primaryKey) {
    if (!columns.some((c) => c.name === name)) throw new Error(`key field ${name} is not a field of the value schema`);
  }
  const { schema, table } = tableOf(valueSchema as AvroRecord);
  return { schema, table, columns, primaryKey, fields: valueRow.fields.map((f) => f.name) };
}

interface AvroField {
  name: string;
  type: unknown;
  'pg.type'?: string;
  'pg.name'?: string;
}

interface AvroRecord {
  type: string;
  name: string;
  namespace?: string;
  fields: AvroField[];
}

function keyFields(keyRecord: AvroRecord): AvroField[] {
  if (keyRecord.type !== 'record' || !Array.isArray(keyRecord.fields)) throw new Error('key schema is not a record');
  return keyRecord.fields;
}

function findValueRecord(envelope: object): AvroRecord {
  const before = (envelope as AvroRecord).fields?.find((f) => f.name === 'before');
  const branch = Array.isArray(before?.type) ? (before.type as unknown[]).find((t) => t !== 'null') : undefined;
  if (!branch || typeof branch !== 'object' || (branch as AvroRecord).type !== 'record') {
    throw new Error('value schema is not a paysync change envelope (no record in its "before" field)');
  }
  return branch as AvroRecord;
}

/** The envelope's namespace is the topic as an Avro namespace: <prefix>.<schema>.<table>. */
function tableOf(envelope: AvroRecord): { schema: string; table: string } {
  const parts = (envelope.namespace ?? '').split('.');
  if (parts.length < 3) throw new Error(`value schema namespace "${envelope.namespace}" does not name a table`);
  return { schema: parts[parts.length - 2], table: parts[parts.length - 1] };
}

function columnOf(field: AvroField): ColumnShape {
  const pgType = field['pg.type'];
  if (!pgType) throw new Error(`field ${field.name} carries no "pg.type"`);
  return { name: field['pg.name'] ?? field.name, nullable: true, ...typeOf(unwrapNull(field.type), pgType) };
}

function unwrapNull(type: unknown): unknown {
  if (!Array.isArray(type)) return type;
  const branches = type.filter((t) => t !== 'null');
  if (branches.length !== 1) throw new Error(`union ${JSON.stringify(type)} is not ["null", T]`);
  return branches[0];
}

const PLAIN: Record<string, string> = { int: 'int4', long: 'int8', float: 'float4', double: 'float8', boolean: 'bool', bytes: 'bytea', string: 'text' };
const LOGICAL: Record<string, string> = {
  'timestamp-micros': 'timestamptz',
  'local-timestamp-micros': 'timestamp',
  date: 'date',
  'time-micros': 'time',
  uuid: 'uuid',
};
const VARIABLE_DECIMAL = 'io.debezium.data.VariableScaleDecimal';

function typeOf(avro: unknown, pgType: string): ColumnType {
  const base = { pgType, typeOid: 0 };
  if (typeof avro === 'string') {
    if (avro === VARIABLE_DECIMAL) return { ...base, typeName: 'numeric', category: 'base' };
    const typeName = PLAIN[avro];
    if (!typeName) throw new Error(`Avro type ${avro} has no PostgreSQL counterpart`);
    return { ...base, typeName, category: 'base' };
  }
  const node = avro as { type: unknown; logicalType?: string; precision?: number; scale?: number; items?: unknown; name?: string; namespace?: string };
  if (node.logicalType === 'decimal') return { ...base, typeName: 'numeric', category: 'base', precision: node.precision, scale: node.scale ?? 0 };
  if (node.logicalType === 'paysync-variable-decimal') return { ...base, typeName: 'numeric', category: 'base' };
  if (node.logicalType && LOGICAL[node.logicalType]) return { ...base, typeName: LOGICAL[node.logicalType], category: 'base' };
  if (node.type === 'array') {
    const elementPgType = pgType.endsWith('[]') ? pgType.slice(0, -2) : pgType;
    return { ...base, typeName: 'array', category: 'array', element: typeOf(unwrapNull(node.items), elementPgType) };
  }
  if (typeof node.type === 'string') return typeOf(node.type, pgType);
  throw new Error(`Avro type ${JSON.stringify(avro)} has no PostgreSQL counterpart`);
}
