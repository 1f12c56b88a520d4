import type { Queryable } from '@paysync/postgres';

/** Capture's own tables live in the source, in this schema (deploy/sql gives it to capture's role). */
export const BOOKKEEPING_SCHEMA = 'paysync';

/**
 * Creates schema paysync and the table only when missing: CREATE ... IF NOT EXISTS needs the
 * privilege to create even when the object exists, and a least-privilege role (deploy/sql) has no
 * CREATE on the database. `columns` is the body of the CREATE TABLE.
 */
export async function ensureBookkeepingTable(db: Queryable, table: string, columns: string): Promise<void> {
  const { rows } = await db.query<{ schema_found: string; table_found: string }>(
    `SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1) AS schema_found,
            EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2) AS table_found`,
    [BOOKKEEPING_SCHEMA, table],
  );
  if (rows[0].table_found === 't') return;
  if (rows[0].schema_found !== 't') await db.query(`CREATE SCHEMA IF NOT EXISTS ${BOOKKEEPING_SCHEMA}`);
  await db.query(`CREATE TABLE IF NOT EXISTS ${BOOKKEEPING_SCHEMA}.${table} (${columns})`);
}
