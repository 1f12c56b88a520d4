import { avroFieldName, avroNamespace, referToDefinedTypes } from './avro-names';
import type { Row } from './rows';
import type { ColumnShape, TableShape } from './table-shape';
import { topicName } from './topics';
import { codecFor } from './type-mapping';

/** The value of every table topic record (Debezium-compatible field names). */
export interface ChangeEnvelope {
  before: Row | null;
  after: Row | null;
  op: 'c' | 'u' | 'd' | 'r' | 't';
  source: {
    version: string;
    connector: string;
    db: string;
    schema: string;
    table: string;
    /** Commit LSN of the transaction (a snapshot row: its high watermark's LSN). */
    lsn: bigint;
    /** Order inside the transaction (or the snapshot chunk). */
    seq: bigint;
    txId: bigint | null;
    ts_ms: bigint;
    snapshot: boolean;
  };
  ts_ms: bigint;
  /** Avro field names of columns whose value was not sent (unchanged TOAST): leave them as they are. */
  unchanged_toast: string[];
}

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
  const source = {
    type: 'record',
    name: 'Source',
    namespace: 'io.paysync.connector',
    fields: [
      { name: 'version', type: 'string' },
      { name: 'connector', type: 'string' },
      { name: 'db', type: 'string' },
      { name: 'schema', type: 'string' },
      { name: 'table', type: 'string' },
      { name: 'lsn', type: 'long' },
      { name: 'seq', type: 'long' },
      { name: 'txId', type: ['null', 'long'], default: null },
      { name: 'ts_ms', type: 'long' },
      { name: 'snapshot', type: 'boolean' },
    ],
  };
  const value = {
    type: 'record',
    name: 'Envelope',
    namespace,
    fields: [
      { name: 'before', type: ['null', valueRow], default: null },
      { name: 'after', type: ['null', `${namespace}.Value`], default: null },
      { name: 'op', type: 'string' },
      { name: 'source', type: source },
      { name: 'ts_ms', type: 'long' },
      { name: 'unchanged_toast', type: { type: 'array', items: 'string' }, default: [] },
    ],
  };
  return { key, value };
}
