import { quoteMysqlIdent as q, type MysqlPool } from '@paysync/mysql';
import type { PrivilegeProblem } from '../missing-privileges';
import { mysqlPrivilegeProblem } from './mysql-errors';

export type Privilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

/**
 * A statement per privilege that touches no row but is checked like a real one. Probing, not
 * reading information_schema, because privileges granted through a role do not show there.
 */
const PROBES: Record<Privilege, (table: string, column: string) => string> = {
  SELECT: (table) => `SELECT 1 FROM ${table} LIMIT 0`,
  INSERT: (table, column) => `INSERT INTO ${table} (${column}) SELECT NULL FROM DUAL WHERE FALSE`,
  UPDATE: (table, column) => `UPDATE ${table} SET ${column} = NULL WHERE FALSE`,
  DELETE: (table) => `DELETE FROM ${table} WHERE FALSE`,
};

/** The account the target knows the connection as, quoted for a GRANT: 'user'@'host'. */
export async function currentAccount(pool: MysqlPool): Promise<string> {
  const [rows] = await pool.query(`SELECT CONCAT(QUOTE(SUBSTRING_INDEX(CURRENT_USER(), '@', 1)), '@', QUOTE(SUBSTRING_INDEX(CURRENT_USER(), '@', -1))) AS account`);
  return (rows as { account: string }[])[0].account;
}

/**
 * What `account` lacks on the existing ones of these tables. A missing table needs CREATE, which
 * cannot be probed without creating it: apply's CREATE TABLE is refused then and names it.
 */
export async function missingMysqlPrivileges(pool: MysqlPool, database: string, account: string, tables: { table: string; privileges: readonly Privilege[] }[]): Promise<PrivilegeProblem[]> {
  const [columns] = await pool.query(
    `SELECT TABLE_NAME AS tableName, COLUMN_NAME AS columnName FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) AND ORDINAL_POSITION = 1`,
    [database, tables.map((t) => t.table)],
  );
  const firstColumn = new Map((columns as { tableName: string; columnName: string }[]).map((r) => [r.tableName, r.columnName]));
  const problems: PrivilegeProblem[] = [];
  for (const { table, privileges } of tables) {
    const column = firstColumn.get(table);
    if (column === undefined) continue;
    const lacking: Privilege[] = [];
    for (const privilege of privileges) {
      try {
        await pool.query(PROBES[privilege](q(table), q(column)));
      } catch (err) {
        if (!mysqlPrivilegeProblem(err, account, database)) throw err;
        lacking.push(privilege);
      }
    }
    const quoted = `${q(database)}.${q(table)}`;
    if (lacking.length > 0) problems.push({ problem: `user ${account} lacks ${lacking.join(', ')} on ${quoted}`, fix: `GRANT ${lacking.join(', ')} ON ${quoted} TO ${account};` });
  }
  return problems;
}
