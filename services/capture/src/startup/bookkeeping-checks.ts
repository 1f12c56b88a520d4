import { quoteIdent, type Queryable } from '@paysync/postgres';
import { PROGRESS_SCHEMA, PROGRESS_TABLE } from '../snapshot/snapshot-progress';
import type { SourceRole } from './preflight-checks';
import { firstRow, listed, type PreflightProblem } from './preflight-problem';

const WRITES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;

/**
 * Capture keeps its snapshot progress in the source (schema paysync): the role must be able to
 * create what is missing and read and write what exists. A least-privilege role gets the schema
 * from the DBA (deploy/sql/postgres-capture-role.sql creates it owned by the role).
 */
export async function checkBookkeeping(db: Queryable, role: SourceRole): Promise<PreflightProblem[]> {
  const info = await firstRow(
    db,
    `SELECT n.oid IS NOT NULL AS schema_found,
            has_schema_privilege(n.oid, 'USAGE') AS can_use,
            has_schema_privilege(n.oid, 'CREATE') AS can_create,
            c.oid IS NOT NULL AS table_found,
            ${WRITES.map((p) => `has_table_privilege(c.oid, '${p}') AS can_${p.toLowerCase()}`).join(', ')}
       FROM (SELECT) AS one
       LEFT JOIN pg_namespace n ON n.nspname = $1
       LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = $2`,
    [PROGRESS_SCHEMA, PROGRESS_TABLE],
  );
  const schema = quoteIdent(PROGRESS_SCHEMA);
  const table = `${schema}.${quoteIdent(PROGRESS_TABLE)}`;
  if (info.schema_found !== 't') {
    if (role.canCreateInDatabase) return [];
    return [{
      problem: `schema ${schema} (capture's snapshot progress) does not exist, and role ${role.quoted} may not create it (no CREATE on database ${role.database})`,
      fix: `CREATE SCHEMA ${schema} AUTHORIZATION ${role.quoted}; (deploy/sql/postgres-capture-role.sql)`,
    }];
  }
  const onSchema = [...(info.can_use !== 't' ? ['USAGE'] : []), ...(info.table_found !== 't' && info.can_create !== 't' ? ['CREATE'] : [])];
  const problems: PreflightProblem[] = [];
  if (onSchema.length > 0) {
    problems.push({
      problem: `role ${role.quoted} lacks ${listed(onSchema)} on schema ${schema}, where capture ${info.table_found === 't' ? 'keeps' : 'creates'} ${table}`,
      fix: `GRANT ${onSchema.join(', ')} ON SCHEMA ${schema} TO ${role.quoted};`,
    });
  }
  const onTable = info.table_found === 't' ? WRITES.filter((p) => info[`can_${p.toLowerCase()}`] !== 't') : [];
  if (onTable.length > 0) {
    problems.push({
      problem: `role ${role.quoted} lacks ${listed([...onTable])} on ${table} (capture's snapshot progress)`,
      fix: `GRANT ${onTable.join(', ')} ON ${table} TO ${role.quoted};`,
    });
  }
  return problems;
}
