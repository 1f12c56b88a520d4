import { quoteMysqlIdent as q, type MysqlPool } from '@paysync/mysql';
import type { PrivilegeProblem } from '../missing-privileges';
import { mysqlPrivilegeProblem } from './mysql-errors';

export type Privilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

/**
 * A statement per privilege that touches no row but is checked like a real one. Probing, not
 * reading information_schema, because privileges granted through a role do not show there.
 */
const PROBES: Record<Privilege, (table: string, columns: string[]) => string> = {
  SELECT: (table) => `SELECT 1 FROM ${table} LIMIT 0`,
  // Every column: strict mode refuses a column list without a NOT NULL column, even for no row.
  INSERT: (table, columns) => `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${columns.map(() => 'NULL').join(', ')} FROM DUAL WHERE FALSE`,
  UPDATE: (table, columns) => `UPDATE ${table} SET ${columns[0]} = NULL WHERE FALSE`,
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
  const [rows] = await pool.query(
    `SELECT TABLE_NAME AS tableName, COLUMN_NAME AS columnName FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) AND EXTRA NOT LIKE '%GENERATED%' ORDER BY ORDINAL_POSITION`,
    [database, tables.map((t) => t.table)],
  );
  const columnsOf = new Map<string, string[]>();
  for (const { tableName, columnName } of rows as { tableName: string; columnName: string }[]) columnsOf.set(tableName, [...(columnsOf.get(tableName) ?? []), q(columnName)]);
  const problems: PrivilegeProblem[] = [];
  for (const { table, privileges } of tables) {
    const columns = columnsOf.get(table);
    if (columns === undefined) continue;
    const lacking: Privilege[] = [];
    for (const privilege of privileges) {
      try {
        await pool.query(PROBES[privilege](q(table), columns));
      } catch (err) {
        // Another refusal than a privilege's says nothing about it: the real statement will tell.
        if (mysqlPrivilegeProblem(err, account, database)) lacking.push(privilege);
      }
    }
    const quoted = `${q(database)}.${q(table)}`;
    if (lacking.length > 0) problems.push({ problem: `user ${account} lacks ${lacking.join(', ')} on ${quoted}`, fix: `GRANT ${lacking.join(', ')} ON ${quoted} TO ${account};` });
  }
  return problems;
}
