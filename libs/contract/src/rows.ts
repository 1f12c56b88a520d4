import { avroFieldName } from './avro-names';
import type { ColumnShape, TableShape } from './table-shape';
import { codecFor, type ColumnCodec, type ColumnValue } from './type-mapping';

/** A row keyed by Avro field name. */
export type Row = Record<string, ColumnValue>;

/**
 * Each column's field name and codec, worked out once per shape object: the row helpers run for
 * every captured or applied row. Shapes are never mutated (a schema change makes a new shape).
 */
const columnCodecs = new WeakMap<ColumnShape, { field: string; codec: ColumnCodec }>();

function columnCodec(column: ColumnShape): { field: string; codec: ColumnCodec } {
  let entry = columnCodecs.get(column);
  if (!entry) {
    entry = { field: avroFieldName(column.name), codec: codecFor(column) };
    columnCodecs.set(column, entry);
  }
  return entry;
}

function inColumn<T>(column: ColumnShape, work: () => T): T {
  try {
    return work();
  } catch (err) {
    throw new Error(`column ${column.name} (${column.pgType}): ${(err as Error).message}`);
  }
}

/** A row read as PostgreSQL text (by column name) as the contract's JS values (by Avro field name). */
export function rowFromPgText(shape: Pick<TableShape, 'columns'>, raw: Record<string, string | null | undefined>): Row {
  const row: Row = {};
  for (const column of shape.columns) {
    const { field, codec } = columnCodec(column);
    const text = raw[column.name];
    row[field] = text === null || text === undefined ? null : inColumn(column, () => codec.fromPgText(text));
  }
  return row;
}

/** The inverse: JS values back to PostgreSQL literals, by column name (null stays null). */
export function rowToPgText(shape: Pick<TableShape, 'columns'>, row: Row): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const column of shape.columns) {
    const { field, codec } = columnCodec(column);
    const value = row[field];
    out[column.name] = value === null || value === undefined ? null : inColumn(column, () => codec.toPgText(value));
  }
  return out;
}
