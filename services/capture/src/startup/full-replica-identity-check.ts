import { SettingError } from '@paysync/config';
import { qualifiedName, type Queryable } from '@paysync/postgres';
import { splitTableName } from '../table-name';
import { listed } from './preflight-problem';

/**
 * With PAYSYNC_SKIP_APPLIED_CHANGES this database is one side of a bidirectional sync, and apply's
 * conflict check on the other side compares the before image of each change with its own row: a
 * table without REPLICA IDENTITY FULL has only its key in the WAL. A setting the source does not
 * fit, so a SettingError (exit 2, one line); tables that do not exist are the table checks' to report.
 */
export async function checkFullReplicaIdentity(db: Queryable, tables: string[]): Promise<void> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT n.nspname || '.' || c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname || '.' || c.relname = ANY ($1) AND c.relreplident <> 'f'
      ORDER BY 1`,
    [tables],
  );
  if (rows.length === 0) return;
  const names = rows.map((r) => r.name);
  throw new SettingError(
    ['PAYSYNC_SKIP_APPLIED_CHANGES'],
    `${names.length === 1 ? 'table' : 'tables'} ${listed(names)} ${names.length === 1 ? 'is' : 'are'} not at REPLICA IDENTITY FULL, which bidirectional sync needs (apply's conflict check compares the other side's before image)`,
    `As the owner: ${names.map((name) => `ALTER TABLE ${qualifiedName(...splitTableName(name))} REPLICA IDENTITY FULL;`).join(' ')} Or set PAYSYNC_SKIP_APPLIED_CHANGES=false.`,
  );
}
