import { createMysqlPool, quoteMysqlIdent, type MysqlPool } from '@paysync/mysql';
import { pgRows, type ColumnKind, type ComparedTable } from '../../demo/compare-rows';
import { createScratchDatabase, uniqueName, withDatabase } from './fixtures';
import { stackAddresses } from './stack-addresses';

/** A target database of the test's own (PostgreSQL or MariaDB), removed by `drop()`. */
export interface ScratchTarget {
  kind: 'postgres' | 'mysql';
  url: string;
  /** Rows of a table as key -> canonical text (empty when the table does not exist). */
  rows(table: ComparedTable): Promise<Map<string, string>>;
  query(sql: string): Promise<Record<string, unknown>[]>;
  drop(): Promise<void>;
}

function mysqlExpression(column: string, kind: ColumnKind): string {
  const c = quoteMysqlIdent(column);
  if (kind === 'timestamptz') return `coalesce(DATE_FORMAT(${c}, '%Y-%m-%d %H:%i:%s.%f'), 'NULL')`;
  return `coalesce(CAST(${c} AS CHAR), 'NULL')`;
}

async function mysqlRows(pool: MysqlPool, table: ComparedTable): Promise<Map<string, string>> {
  const bare = table.name.split('.').pop() as string;
  const [exists] = await pool.query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [bare]);
  if ((exists as unknown[]).length === 0) return new Map();
  const columns = Object.entries(table.columns).map(([c, kind]) => mysqlExpression(c, kind));
  const [rows] = await pool.query(`SELECT CAST(${quoteMysqlIdent(table.key)} AS CHAR) AS k, concat_ws('|', ${columns.join(', ')}) AS v FROM ${quoteMysqlIdent(bare)}`);
  return new Map((rows as { k: string; v: string }[]).map((r) => [r.k, r.v]));
}

export async function createScratchPostgresTarget(prefix = 'paysync_tgt'): Promise<ScratchTarget> {
  const db = await createScratchDatabase(prefix);
  return {
    kind: 'postgres',
    url: db.url,
    rows: (table) => pgRows(db.pool, table),
    query: async (sql) => (await db.pool.query(sql)).rows,
    drop: () => db.drop(),
  };
}

/** On the stack's MariaDB, or on the server `adminUrl` names (a private one, see private-mariadb.ts). */
export async function createScratchMysqlTarget(prefix = 'paysync_tgt', adminUrl = stackAddresses().PAYSYNC_TEST_MYSQL_URL): Promise<ScratchTarget> {
  const name = uniqueName(prefix);
  const admin = createMysqlPool(adminUrl, { max: 1 });
  try {
    await admin.query(`CREATE DATABASE ${quoteMysqlIdent(name)} CHARACTER SET utf8mb4`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const pool = createMysqlPool(url, { max: 2 });
  return {
    kind: 'mysql',
    url,
    rows: (table) => mysqlRows(pool, table),
    query: async (sql) => (await pool.query(sql))[0] as Record<string, unknown>[],
    drop: async () => {
      await pool.end();
      const cleaner = createMysqlPool(adminUrl, { max: 1 });
      try {
        await cleaner.query(`DROP DATABASE IF EXISTS ${quoteMysqlIdent(name)}`);
      } finally {
        await cleaner.end();
      }
    },
  };
}
