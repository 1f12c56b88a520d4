import type { MysqlPool } from '@paysync/mysql';
import { DELETED_AT, DELETED_AT_INDEX, VERSIONS } from './mysql-bookkeeping';

/**
 * A paysync_row_versions table made by a paysync that did not keep deleted_at gains the column and
 * its index (which needs ALTER on the table: deploy/sql grants it). Its existing markers count from
 * now: later than their deletes, so kept longer, never shorter.
 */
export async function addDeleteMarkerAge(pool: MysqlPool, database: string): Promise<void> {
  const [rows] = await pool.query('SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?', [database, VERSIONS, 'deleted_at']);
  if ((rows as unknown[]).length > 0) return;
  await pool.query(`ALTER TABLE ${VERSIONS} ADD COLUMN IF NOT EXISTS ${DELETED_AT}, ADD KEY IF NOT EXISTS ${DELETED_AT_INDEX} (deleted_at)`);
  await pool.query(`UPDATE ${VERSIONS} SET deleted_at = NOW(6) WHERE deleted`);
}

/**
 * Deletes up to `limit` markers older than `olderThanMs` in a short transaction of its own. READ
 * COMMITTED and SKIP LOCKED: no gap locks, and markers apply is writing right now are skipped, not
 * waited for (the next round takes them if they are still markers then).
 */
export async function purgeDeleteMarkers(pool: MysqlPool, olderThanMs: number, limit: number): Promise<number> {
  const connection = await pool.getConnection();
  try {
    await connection.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
    await connection.query('START TRANSACTION');
    const [rows] = await connection.query(`SELECT key_hash AS keyHash FROM ${VERSIONS} WHERE deleted AND deleted_at < NOW(6) - INTERVAL ? MICROSECOND LIMIT ? FOR UPDATE SKIP LOCKED`, [
      olderThanMs * 1000,
      limit,
    ]);
    const expired = (rows as { keyHash: Buffer }[]).map((r) => r.keyHash);
    if (expired.length > 0) await connection.query(`DELETE FROM ${VERSIONS} WHERE key_hash IN (?) AND deleted`, [expired]);
    await connection.query('COMMIT');
    connection.release();
    return expired.length;
  } catch (err) {
    // Whatever state it is in, this connection is not handed to anyone else (its transaction ends with it).
    connection.destroy();
    throw err;
  }
}
