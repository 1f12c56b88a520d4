import type { HmacPads } from '@paysync/contract';
import { checkMysqlAccess, createMysqlPool, quoteMysqlIdent } from '@paysync/mysql';
import { checkPostgresAccess, createPool, qualifiedName } from '@paysync/postgres';
import { SqlSide } from './sql-side';
import type { ComparedTable } from './side';

/** Where a source table is on the target: PostgreSQL keeps schema.table, MariaDB/MySQL the bare name. */
export type TargetNames = (table: ComparedTable) => { schema?: string; table: string };

/**
 * The source (always PostgreSQL) or a target (PostgreSQL or MariaDB/MySQL) as a ReconcileSide; the
 * source with the padded hash key when PAYSYNC_COLUMN_HASH is set, to hash as capture did.
 */
export function openSide(url: string, role: 'source' | 'target', targetName: TargetNames, hmacPads?: HmacPads): SqlSide {
  const protocol = new URL(url).protocol;
  const setting = role === 'source' ? 'PAYSYNC_SOURCE_URL' : 'PAYSYNC_TARGET_URL';
  const named = (table: ComparedTable) => {
    if (role === 'source') {
      const [schema, name] = table.label.split('.');
      return { schema, table: name };
    }
    return targetName(table);
  };
  if (protocol === 'postgres:' || protocol === 'postgresql:') {
    const pool = createPool(url, { applicationName: `paysync-reconciler-${role}`, max: 2, setting });
    return new SqlSide({
      dialect: 'postgres',
      tableName: (table) => {
        const n = named(table);
        return qualifiedName(n.schema ?? 'public', n.table);
      },
      query: async (sql, params) => (await pool.query(sql, params)).rows,
      checkAccess: () => checkPostgresAccess(pool, url, setting),
      close: () => pool.end(),
    }, hmacPads);
  }
  const pool = createMysqlPool(url, { max: 2, setting });
  return new SqlSide({
    dialect: 'mysql',
    tableName: (table) => quoteMysqlIdent(named(table).table),
    query: async (sql, params) => (await pool.query(sql, params))[0] as Record<string, unknown>[],
    checkAccess: () => checkMysqlAccess(pool, url, setting),
    close: () => pool.end(),
  });
}
