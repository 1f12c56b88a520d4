import { quoteIdent, type Queryable } from '@paysync/postgres';
import type { PrivilegeProblem } from '../missing-privileges';
import { existsInCatalog } from './postgres-tables';

/**
 * Delete markers (paysync.row_versions rows with deleted = true) carry when they were written,
 * deleted_at, so that apply can purge the ones older than PAYSYNC_DELETE_MARKER_RETENTION_MS; the
 * partial index holds the markers only, so the purge never reads the rows of keys that exist.
 */
const INDEX = 'row_versions_deleted_at';

async function hasDeletedAt(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ found: string }>(
    `SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'paysync.row_versions'::regclass AND attname = 'deleted_at' AND NOT attisdropped) AS found`,
  );
  return rows[0].found === 't';
}

/**
 * A row_versions table made by a paysync that did not keep deleted_at gains the column and the
 * index. Its existing markers count from now: later than their deletes, so kept longer, never
 * shorter. Runs under prepare's DDL lock, after the table exists.
 */
export async function addDeleteMarkerAge(db: Queryable): Promise<void> {
  if (!(await hasDeletedAt(db))) {
    await db.query('ALTER TABLE paysync.row_versions ADD COLUMN deleted_at timestamptz');
    await db.query('UPDATE paysync.row_versions SET deleted_at = now() WHERE deleted');
  }
  if (!(await existsInCatalog(db, 'paysync', INDEX))) await db.query(`CREATE INDEX ${INDEX} ON paysync.row_versions (deleted_at) WHERE deleted`);
}

/**
 * Adding them takes the table's ownership: apply has it when it created the table, not when an
 * earlier run under another role did (deploy/sql grants on tables already there).
 */
export async function deleteMarkerAgeProblem(db: Queryable): Promise<PrivilegeProblem | undefined> {
  const { rows } = await db.query<{ role: string; found: string; owns: string }>(
    `SELECT current_user AS role, c.oid IS NOT NULL AS found, coalesce(pg_has_role(c.relowner, 'USAGE'), false) AS owns
       FROM (SELECT) AS one LEFT JOIN pg_class c ON c.oid = to_regclass('paysync.row_versions')`,
  );
  const { role, found, owns } = rows[0];
  if (found !== 't' || owns === 't' || ((await hasDeletedAt(db)) && (await existsInCatalog(db, 'paysync', INDEX)))) return undefined;
  return {
    problem: `role ${quoteIdent(role)} does not own paysync.row_versions (made under another role) and cannot add the column deleted_at and index ${INDEX}, which delete-marker retention needs`,
    fix: `as its owner: ALTER TABLE paysync.row_versions OWNER TO ${quoteIdent(role)};`,
  };
}

/**
 * Deletes up to `limit` markers older than `olderThanMs`, as one statement (its own short
 * transaction). Markers apply is writing right now are skipped, not waited for: the next round
 * takes them if they are still markers then.
 */
export async function purgeDeleteMarkers(db: Queryable, olderThanMs: number, limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `WITH expired AS (
       SELECT target_table, row_key FROM paysync.row_versions
        WHERE deleted AND deleted_at < now() - make_interval(secs => $1::double precision / 1000)
        LIMIT $2 FOR UPDATE SKIP LOCKED)
     DELETE FROM paysync.row_versions v USING expired e
      WHERE v.target_table = e.target_table AND v.row_key = e.row_key AND v.deleted`,
    [olderThanMs, limit],
  );
  return rowCount ?? 0;
}
