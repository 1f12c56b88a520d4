import { codecFor, formatPgArray, type ColumnShape, type Row } from '@paysync/contract';
import { qualifiedName, quoteIdent, runStatement, type Queryable } from '@paysync/postgres';
import { byUnchangedColumns, type RowChange, type Version } from '../../changes/row-change';
import type { ApplyResult, ResolvedTable } from '../target';
import { NEW_KEYS_SHAPE, type TableStatements } from './table-statements';

export interface WrittenColumn {
  column: ColumnShape;
  field: string;
  targetType: string;
}

export function writtenColumns(table: ResolvedTable): WrittenColumn[] {
  return table.source.columns.map((column, i) => {
    const targetType = table.columnTypes.get(column.name);
    if (!targetType) throw new Error(`target table ${table.label} has no column ${column.name}`);
    return { column, field: table.source.fields[i], targetType };
  });
}

export function targetOf(table: ResolvedTable): string {
  return qualifiedName(table.name.schema ?? 'public', table.name.table);
}

/** Where a key column is among the written ones (the records must carry every key column). */
export function keyColumnIndex(table: ResolvedTable, columns: WrittenColumn[], name: string): number {
  const index = columns.findIndex((c) => c.column.name === name);
  if (index < 0) throw new Error(`key column ${name} of ${table.label} is not in the source's records`);
  return index;
}

/** One text[] parameter per column, as an array literal: each row's value as PostgreSQL text (NULL for a null or a value the row lacks). */
export function columnArrays(columns: WrittenColumn[], rows: Row[]): string[] {
  return columns.map((c) => {
    const codec = codecFor(c.column);
    return formatPgArray(rows.map((row) => {
      const value = row[c.field];
      return value === null || value === undefined ? null : codec.toPgText(value);
    }));
  });
}

/** The batch as rows: the version arrays ($2-$5) and one text[] per column ($6 on), unnest()ed together. */
function incomingRows(columns: WrittenColumn[]): string {
  return `SELECT * FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::boolean[], ${columns.map((_, i) => `$${i + 6}::text[]`).join(', ')})
      AS i(paysync_row_key, paysync_lsn, paysync_seq, paysync_deleted, ${columns.map((_, i) => `c${i}`).join(', ')})`;
}

/** Column i of the batch, cast from its text to the target column's type. */
function castOf(columns: WrittenColumn[], i: number): string {
  return `i.c${i}::${columns[i].targetType}`;
}

const VERSION_ROWS = `INSERT INTO paysync.row_versions AS v (target_table, row_key, lsn, seq, deleted, deleted_at)
      SELECT $1, paysync_row_key, paysync_lsn, paysync_seq, paysync_deleted, CASE WHEN paysync_deleted THEN now() END FROM incoming`;

/**
 * The statement's body: `winners` (the versions written), `upserted` and `removed`, over the rows
 * `written` (incoming rows, joined to the winners or not), with ON CONFLICT clauses for the
 * versions (`versionConflict`) and the rows (`rowConflict`), or none.
 */
function writeStatement(table: ResolvedTable, parts: { versionConflict: string; written: string; rowConflict: string }): string {
  const columns = writtenColumns(table);
  const target = targetOf(table);
  return `WITH incoming AS (${incomingRows(columns)}),
    winners AS (
      ${VERSION_ROWS}
      ${parts.versionConflict}
      RETURNING row_key),
    upserted AS (
      INSERT INTO ${target} AS t (${columns.map((c) => quoteIdent(c.column.name)).join(', ')})
      SELECT ${columns.map((_, i) => castOf(columns, i)).join(', ')}
        FROM ${parts.written}
       WHERE NOT i.paysync_deleted
      ${parts.rowConflict}
      RETURNING 1),
    removed AS (
      DELETE FROM ${target} AS t USING ${parts.written}
       WHERE i.paysync_deleted AND ${table.primaryKey.map((k) => `t.${quoteIdent(k)} = ${castOf(columns, keyColumnIndex(table, columns, k))}`).join(' AND ')}
      RETURNING 1)
    SELECT (SELECT count(*) FROM winners) AS applied, (SELECT count(*) FROM upserted) AS upserted, (SELECT count(*) FROM removed) AS removed`;
}

/**
 * One statement per table and batch: the version guard (paysync.row_versions), the upserts and
 * the deletes, as data-modifying CTEs over unnest()ed arrays. Only keys whose version advanced
 * ("winners") are written. Every value travels as PostgreSQL text and is cast to the target
 * column's type, so nothing passes through a lossy JS type.
 */
export function upsertStatement(table: ResolvedTable, unchanged: ReadonlySet<string>): string {
  const updatable = writtenColumns(table).filter((c) => !table.primaryKey.includes(c.column.name) && !unchanged.has(c.field));
  const onConflict = updatable.length > 0
    ? `DO UPDATE SET ${updatable.map((c) => `${quoteIdent(c.column.name)} = excluded.${quoteIdent(c.column.name)}`).join(', ')}`
    : 'DO NOTHING';
  return writeStatement(table, {
    versionConflict: `ON CONFLICT (target_table, row_key) DO UPDATE
        SET lsn = excluded.lsn, seq = excluded.seq, deleted = excluded.deleted, deleted_at = excluded.deleted_at
        WHERE (v.lsn, v.seq) < (excluded.lsn, excluded.seq)`,
    written: 'incoming i JOIN winners w ON w.row_key = i.paysync_row_key',
    rowConflict: `ON CONFLICT (${table.primaryKey.map(quoteIdent).join(', ')}) ${onConflict}`,
  });
}

/**
 * The same for keys the table has never held (a replica being built): plain INSERTs, no ON
 * CONFLICT and no join to the winners, since every row is one. PostgreSQL does about half the
 * work per row. A key already there fails it whole with unique_violation, and the batch is
 * written again with upsertStatement (PostgresTransaction.applyRows).
 */
export function newKeysStatement(table: ResolvedTable): string {
  return writeStatement(table, { versionConflict: '', written: 'incoming i', rowConflict: '' });
}

/** $1-$5 of a batch statement: the table's label, then each change's row key, version and `flags` (a boolean each), every array as its literal. */
export function versionParams(table: ResolvedTable, changes: RowChange[], flags: boolean[]): string[] {
  return [
    table.label,
    formatPgArray(changes.map((c) => c.rowKey)),
    formatPgArray(changes.map((c) => c.version.lsn.toString())),
    formatPgArray(changes.map((c) => c.version.seq.toString())),
    formatPgArray(flags.map(String)),
  ];
}

/** The statement's parameters: version columns (the flag: deleted), then each column's values as PostgreSQL text. */
export function upsertParams(table: ResolvedTable, changes: RowChange[]): unknown[] {
  return [
    ...versionParams(table, changes, changes.map((c) => c.row === null)),
    ...columnArrays(writtenColumns(table), changes.map((c) => c.row ?? c.key)),
  ];
}

/** Rows are grouped by which columns they left out (unchanged TOAST): each group its own SET list. */
export async function writeRows(db: Queryable, table: ResolvedTable, changes: RowChange[], statements: TableStatements): Promise<ApplyResult> {
  let applied = 0;
  for (const [id, group] of byUnchangedColumns(changes)) {
    const statement = statements.of(id, () => upsertStatement(table, new Set(group[0].unchanged)));
    const { rows } = await runStatement<{ applied: string }>(db, statement, upsertParams(table, group));
    applied += Number(rows[0].applied);
  }
  return { applied, stale: changes.length - applied };
}

/** Changes of keys the table has never held, in one statement (throws unique_violation when one is held). */
export async function writeNewKeys(db: Queryable, table: ResolvedTable, changes: RowChange[], statements: TableStatements): Promise<ApplyResult> {
  await runStatement(db, statements.of(NEW_KEYS_SHAPE, () => newKeysStatement(table)), upsertParams(table, changes));
  return { applied: changes.length, stale: 0 };
}

/** Every row older than the truncate goes; its key keeps a deleted marker at the truncate's version. */
export async function truncateRows(db: Queryable, table: ResolvedTable, version: Version): Promise<void> {
  const keyMatch = table.primaryKey
    .map((k, i) => `t.${quoteIdent(k)} = (g.row_key::jsonb ->> ${i})::${table.columnTypes.get(k)}`)
    .join(' AND ');
  await db.query(
    `WITH gone AS (
       UPDATE paysync.row_versions SET lsn = $2, seq = $3, deleted = true, deleted_at = now()
        WHERE target_table = $1 AND NOT deleted AND (lsn, seq) < ($2::bigint, $3::bigint)
       RETURNING row_key)
     DELETE FROM ${targetOf(table)} AS t USING gone g WHERE ${keyMatch}`,
    [table.label, version.lsn.toString(), version.seq.toString()],
  );
}
