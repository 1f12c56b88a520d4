import type { HmacPads } from '@paysync/contract';
import { checkMysqlAccess, createMysqlPool, mysqlDependency, quoteMysqlIdent } from '@paysync/mysql';
import { checkPostgresAccess, createPool, postgresDependency, qualifiedName } from '@paysync/postgres';
import { SqlSide, type SqlRunner } from './sql-side';
import type { ComparedTable } from './side';

/** Where a source table is on the target: PostgreSQL keeps schema.table, MariaDB/MySQL the bare name. */
export type TargetNames = (table: ComparedTable) => { schema?: string; table: string };

export interface SideOptions {
  /** PAYSYNC_COLUMN_HASH's padded key (the source only), to hash as capture did. */
  hmacPads?: HmacPads;
  /** PAYSYNC_RECONCILE_PARALLEL_WORKERS, for a PostgreSQL side. */
  parallelWorkers?: number;
}

/** The source (always PostgreSQL) or a target (PostgreSQL or MariaDB/MySQL) as a ReconcileSide. */
export function openSide(url: string, role: 'source' | 'target', targetName: TargetNames, options: SideOptions = {}): SqlSide {
  const named = (table: ComparedTable) => {
    if (role === 'source') {
      const [schema, name] = table.label.split('.');
      return { schema, table: name };
    }
    return targetName(table);
  };
  const setting = role === 'source' ? 'PAYSYNC_SOURCE_URL' : 'PAYSYNC_TARGET_URL';
  const sessionSettings = { max_parallel_workers_per_gather: String(options.parallelWorkers ?? 0) };
  const runner = openSqlRunner(url, { applicationName: `paysync-reconciler-${role}`, setting, named, sessionSettings });
  return new SqlSide(runner, runner.dialect === 'postgres' ? options.hmacPads : undefined);
}

/** A read-only view of a target for `paysync status` (what apply stored there); errors name `setting`. */
export function openTargetReader(url: string, setting: string): SqlRunner {
  return openSqlRunner(url, { applicationName: 'paysync-status', setting, named: (table) => ({ table: table.label }) });
}

function openSqlRunner(url: string, options: { applicationName: string; setting: string; named: TargetNames; sessionSettings?: Record<string, string> }): SqlRunner {
  const { applicationName, setting, named, sessionSettings } = options;
  const protocol = new URL(url).protocol;
  if (protocol === 'postgres:' || protocol === 'postgresql:') {
    const pool = createPool(url, { applicationName, max: 2, setting, sessionSettings });
    return {
      dialect: 'postgres',
      tableName: (table) => {
        const n = named(table);
        return qualifiedName(n.schema ?? 'public', n.table);
      },
      query: async (sql, params) => (await pool.query(sql, params)).rows,
      checkAccess: () => checkPostgresAccess(pool, url, setting),
      dependency: postgresDependency(url, setting),
      close: () => pool.end(),
    };
  }
  const pool = createMysqlPool(url, { max: 2, setting });
  return {
    dialect: 'mysql',
    tableName: (table) => quoteMysqlIdent(named(table).table),
    query: async (sql, params) => (await pool.query(sql, params))[0] as Record<string, unknown>[],
    checkAccess: () => checkMysqlAccess(pool, url, setting),
    dependency: mysqlDependency(url, setting),
    close: () => pool.end(),
  };
}
