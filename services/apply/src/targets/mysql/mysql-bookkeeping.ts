import { APPLY_OFFSETS_TABLE } from '@paysync/contract';
import type { MysqlPool } from '@paysync/mysql';

export const OFFSETS = APPLY_OFFSETS_TABLE.mysql.table;
export const VERSIONS = 'paysync_row_versions';
/** NULL DEFAULT NULL said outright: without explicit_defaults_for_timestamp a TIMESTAMP column would set itself on every update. */
export const DELETED_AT = 'deleted_at TIMESTAMP(6) NULL DEFAULT NULL';
export const DELETED_AT_INDEX = 'by_deleted_at';

/** paysync's own tables beside the replicated ones (MariaDB has no schemas within a database). */
const BOOKKEEPING: { table: string; ddl: string }[] = [
  {
    table: OFFSETS,
    ddl: `CREATE TABLE IF NOT EXISTS ${OFFSETS} (
       group_id VARCHAR(191) NOT NULL, topic VARCHAR(249) NOT NULL, kafka_partition INT NOT NULL,
       next_offset BIGINT NOT NULL, updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
       PRIMARY KEY (group_id, topic, kafka_partition)) ENGINE=InnoDB`,
  },
  {
    // Keys are long texts: the primary key is their SHA-256, the text is kept for truncates. A
    // delete marker (deleted) says since when (deleted_at), for its retention (mysql-delete-markers.ts).
    table: VERSIONS,
    ddl: `CREATE TABLE IF NOT EXISTS ${VERSIONS} (
       key_hash BINARY(32) NOT NULL PRIMARY KEY, target_table VARCHAR(255) NOT NULL, row_key LONGTEXT NOT NULL,
       lsn BIGINT UNSIGNED NOT NULL, seq BIGINT UNSIGNED NOT NULL, deleted BOOLEAN NOT NULL, ${DELETED_AT},
       KEY by_table (target_table), KEY ${DELETED_AT_INDEX} (deleted_at)) ENGINE=InnoDB`,
  },
];

export const BOOKKEEPING_TABLES = BOOKKEEPING.map((b) => b.table);

/** Creates the missing ones only: CREATE TABLE IF NOT EXISTS needs CREATE even when the table exists. */
export async function createMissingBookkeeping(pool: MysqlPool, database: string): Promise<void> {
  const [rows] = await pool.query('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?)', [database, BOOKKEEPING_TABLES]);
  const existing = new Set((rows as { name: string }[]).map((r) => r.name));
  for (const { table, ddl } of BOOKKEEPING) if (!existing.has(table)) await pool.query(ddl);
}
