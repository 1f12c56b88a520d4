import { APPLY_OFFSETS_TABLE } from '@paysync/contract';
import { qualifiedName, quoteIdent, type Queryable } from '@paysync/postgres';
import type { SourceTable } from '../../changes/row-change';
import type { TargetName } from '../target';

export const OFFSETS = APPLY_OFFSETS_TABLE.postgres.table;

/** Serialises paysync's DDL on one target (two apply processes may start together). */
export const DDL_LOCK = `SELECT pg_advisory_xact_lock(hashtext('paysync.apply.ddl'))`;

/**
 * DDL waits for the table's users, and one of them can be apply's own open target transaction (a
 * source transaction spanning batches, then a schema change): waiting forever would hang apply. The
 * wait fails instead, as a transient error, which rolls that transaction back and redoes it after the DDL.
 */
export const DDL_LOCK_TIMEOUT = `SET LOCAL lock_timeout = '5s'`;

export const BOOKKEEPING_SCHEMA = 'paysync';

/** paysync's own tables, each created when missing; apply reads and writes them, and deletes only expired delete markers. */
export const BOOKKEEPING: { name: TargetName; ddl: string }[] = [
  {
    name: { schema: BOOKKEEPING_SCHEMA, table: 'apply_offsets' },
    ddl: `CREATE TABLE IF NOT EXISTS ${OFFSETS} (
       group_id text NOT NULL, topic text NOT NULL, partition int NOT NULL,
       next_offset bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (group_id, topic, partition))`,
  },
  {
    // One row per key applied; a delete keeps its row (deleted = true, since deleted_at) so an older
    // change replayed later cannot bring the row back, until the retention purges it (postgres-delete-markers.ts).
    name: { schema: BOOKKEEPING_SCHEMA, table: 'row_versions' },
    ddl: `CREATE TABLE IF NOT EXISTS paysync.row_versions (
       target_table text NOT NULL, row_key text NOT NULL,
       lsn bigint NOT NULL, seq bigint NOT NULL, deleted boolean NOT NULL, deleted_at timestamptz,
       PRIMARY KEY (target_table, row_key))`,
  },
];

/**
 * Whether the schema (with `table`: that table in it) exists, from the catalog. DDL runs only for
 * what is missing: CREATE ... IF NOT EXISTS needs the privilege to create even when the object
 * exists, and a least-privilege role (deploy/sql) may lack it.
 */
export async function existsInCatalog(db: Queryable, schema: string, table?: string): Promise<boolean> {
  const { rows } = await db.query<{ found: string }>(
    table === undefined
      ? 'SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1) AS found'
      : 'SELECT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2) AS found',
    table === undefined ? [schema] : [schema, table],
  );
  return rows[0].found === 't';
}

export interface TargetColumns {
  types: Map<string, string>;
  primaryKey: string[];
}

/** The target table's columns (name -> format_type) and primary key, or undefined when it does not exist. */
export async function readTargetColumns(db: Queryable, name: TargetName): Promise<TargetColumns | undefined> {
  const { rows } = await db.query<{ name: string; type: string; in_key: boolean | string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            coalesce(a.attnum = ANY (i.indkey), false) AS in_key
       FROM pg_attribute a
       LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [qualifiedName(name.schema ?? 'public', name.table)],
  );
  if (rows.length === 0) return undefined;
  const keyOrder = await db.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY k.ord`,
    [qualifiedName(name.schema ?? 'public', name.table)],
  );
  return { types: new Map(rows.map((r) => [r.name, r.type])), primaryKey: keyOrder.rows.map((r) => r.name) };
}

/**
 * The column type to create: the source's exact type when the target knows it (built-ins, and
 * enums or domains the target defines too); otherwise text, which holds any PostgreSQL value.
 */
async function creatableType(db: Queryable, pgType: string): Promise<string> {
  const { rows } = await db.query<{ known: string | null }>('SELECT to_regtype($1)::text AS known', [pgType]);
  return rows[0]?.known ? pgType : 'text';
}

export async function createTable(db: Queryable, source: SourceTable, name: TargetName): Promise<void> {
  if (source.primaryKey.length === 0) throw new Error(`cannot create ${name.table}: the source table's key is not known yet`);
  const columns: string[] = [];
  for (const column of source.columns) {
    const notNull = source.primaryKey.includes(column.name) ? ' NOT NULL' : '';
    columns.push(`${quoteIdent(column.name)} ${await creatableType(db, column.pgType)}${notNull}`);
  }
  columns.push(`PRIMARY KEY (${source.primaryKey.map(quoteIdent).join(', ')})`);
  if (name.schema && !(await existsInCatalog(db, name.schema))) await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(name.schema)}`);
  await db.query(`CREATE TABLE IF NOT EXISTS ${qualifiedName(name.schema ?? 'public', name.table)} (${columns.join(', ')})`);
}

/** New source columns arrive as nullable target columns; nothing is ever dropped or retyped. */
export async function addMissingColumns(db: Queryable, source: SourceTable, name: TargetName, existing: Map<string, string>): Promise<string[]> {
  const added: string[] = [];
  for (const column of source.columns) {
    if (existing.has(column.name)) continue;
    await db.query(
      `ALTER TABLE ${qualifiedName(name.schema ?? 'public', name.table)} ADD COLUMN IF NOT EXISTS ${quoteIdent(column.name)} ${await creatableType(db, column.pgType)}`,
    );
    added.push(column.name);
  }
  return added;
}
