import { createMysqlPool, quoteMysqlIdent, type MysqlPool } from '@paysync/mysql';
import { qualifiedName, type Pool } from '@paysync/postgres';
import { createScratchDatabase, uniqueName, withDatabase } from './fixtures';
import { stackAddresses } from './stack-addresses';

/** How a column is compared: its value as the same text on PostgreSQL and MariaDB. */
export type ColumnKind = 'int' | 'text' | 'numeric' | 'timestamptz';

export interface ComparedTable {
  /** schema.table on the source (and a PostgreSQL target); the bare table on MariaDB. */
  name: string;
  key: string;
  columns: Record<string, ColumnKind>;
}

/** A target database of the test's own (PostgreSQL or MariaDB), removed by `drop()`. */
export interface ScratchTarget {
  kind: 'postgres' | 'mysql';
  url: string;
  /** Rows of a table as key -> canonical text (empty when the table does not exist). */
  rows(table: ComparedTable): Promise<Map<string, string>>;
  query(sql: string): Promise<Record<string, unknown>[]>;
  drop(): Promise<void>;
}

function pgExpression(column: string, kind: ColumnKind): string {
  const c = `"${column}"`;
  if (kind === 'timestamptz') return `coalesce(to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), 'NULL')`;
  return `coalesce(${c}::text, 'NULL')`;
}

function mysqlExpression(column: string, kind: ColumnKind): string {
  const c = quoteMysqlIdent(column);
  if (kind === 'timestamptz') return `coalesce(DATE_FORMAT(${c}, '%Y-%m-%d %H:%i:%s.%f'), 'NULL')`;
  return `coalesce(CAST(${c} AS CHAR), 'NULL')`;
}

/** The table's rows on PostgreSQL (source or target) as key -> canonical text. */
export async function pgRows(pool: Pick<Pool, 'query'>, table: ComparedTable): Promise<Map<string, string>> {
  const [schema, name] = table.name.split('.');
  const exists = await pool.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [qualifiedName(schema, name)]);
  if (!exists.rows[0].t) return new Map();
  const columns = Object.entries(table.columns).map(([c, kind]) => pgExpression(c, kind));
  const { rows } = await pool.query<{ k: string; v: string }>(`SELECT "${table.key}"::text AS k, concat_ws('|', ${columns.join(', ')}) AS v FROM ${qualifiedName(schema, name)}`);
  return new Map(rows.map((r) => [r.k, r.v]));
}

async function mysqlRows(pool: MysqlPool, table: ComparedTable): Promise<Map<string, string>> {
  const bare = table.name.split('.').pop() as string;
  const [exists] = await pool.query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [bare]);
  if ((exists as unknown[]).length === 0) return new Map();
  const columns = Object.entries(table.columns).map(([c, kind]) => mysqlExpression(c, kind));
  const [rows] = await pool.query(`SELECT CAST(${quoteMysqlIdent(table.key)} AS CHAR) AS k, concat_ws('|', ${columns.join(', ')}) AS v FROM ${quoteMysqlIdent(bare)}`);
  return new Map((rows as { k: string; v: string }[]).map((r) => [r.k, r.v]));
}

export async function createScratchPostgresTarget(): Promise<ScratchTarget> {
  const db = await createScratchDatabase('paysync_tgt');
  return {
    kind: 'postgres',
    url: db.url,
    rows: (table) => pgRows(db.pool, table),
    query: async (sql) => (await db.pool.query(sql)).rows,
    drop: () => db.drop(),
  };
}

export async function createScratchMysqlTarget(): Promise<ScratchTarget> {
  const adminUrl = stackAddresses().PAYSYNC_TEST_MYSQL_URL;
  const name = uniqueName('paysync_tgt');
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

/** Differences between two row maps, at most `limit` of them, readable in a failure message. */
export function rowDifferences(source: Map<string, string>, target: Map<string, string>, limit = 10): string[] {
  const problems: string[] = [];
  for (const [key, row] of source) {
    const copy = target.get(key);
    if (copy === undefined) problems.push(`missing in target: ${key} ${row}`);
    else if (copy !== row) problems.push(`differs: ${key}\n  source: ${row}\n  target: ${copy}`);
    if (problems.length >= limit) return problems;
  }
  for (const key of target.keys()) {
    if (!source.has(key)) problems.push(`extra in target: ${key} ${target.get(key)}`);
    if (problems.length >= limit) break;
  }
  return problems;
}
