import { avroFieldName, avroNamespace, referToDefinedTypes } from './avro-names';
import type { ColumnShape, TableShape } from './table-shape';
import { topicName } from './topics';
import { codecFor } from './type-mapping';
import { SOURCE_SCHEMA, TRANSACTION_SCHEMA, optionalLong } from './change-envelope';

export type { ChangeEnvelope } from './change-envelope';

function rowFields(columns: ColumnShape[], nullable: boolean, namespace: string): object[] {
  const seen = new Map<string, string>();
  const definedTypes = new Set<string>();
  return columns.map((column) => {
    const name = avroFieldName(column.name);
    const clash = seen.get(name);
    if (clash !== undefined) throw new Error(`columns "${clash}" and "${column.name}" both map to Avro field ${name}`);
    seen.set(name, column.name);
    const type = referToDefinedTypes(codecFor(column).avro, namespace, definedTypes);
    return {
      name,
      type: nullable ? ['null', type] : type,
      ...(nullable ? { default: null } : {}),
      'pg.type': column.pgType,
      ...(name !== column.name ? { 'pg.name': column.name } : {}),
    };
  });
}

/**
 * The key and value schemas of a table's topic. Every value field is nullable with default null,
 * so adding or dropping a column is a BACKWARD-compatible change.
 */
export function avroSchemasFor(shape: TableShape, topicPrefix: string): { key: object; value: object } {
  if (shape.primaryKey.length === 0) throw new Error(`table ${shape.schema}.${shape.table} has no primary key`);
  const namespace = avroNamespace(topicName(topicPrefix, shape.schema, shape.table));
  const keyColumns = shape.primaryKey.map((name) => {
    const column = shape.columns.find((c) => c.name === name);
    if (!column) throw new Error(`primary-key column ${name} is not a column of ${shape.schema}.${shape.table}`);
    return column;
  });
  const key = { type: 'record', name: 'Key', namespace, fields: rowFields(keyColumns, false, namespace) };
  const valueRow = { type: 'record', name: 'Value', namespace, fields: rowFields(shape.columns, true, namespace) };
  const value = {
    type: 'record',
    name: 'Envelope',
    namespace,
    fields: [
      { name: 'before', type: ['null', valueRow], default: null },
      { name: 'after', type: ['null', `${namespace}.Value`], default: null },
      { name: 'op', type: 'string' },
      { name: 'source', type: SOURCE_SCHEMA },
      { name: 'transaction', type: ['null', TRANSACTION_SCHEMA], default: null },
      { name: 'ts_ms', type: 'long' },
      optionalLong('ts_us'),
      optionalLong('ts_ns'),
      { name: 'unchanged_toast', type: { type: 'array', items: 'string' }, default: [] },
    ],
  };
  return { key, value };
}
