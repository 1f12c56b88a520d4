import { quoteIdent, type Queryable } from '@paysync/postgres';
import { BOOKKEEPING_SCHEMA } from '../snapshot/bookkeeping-table';
import { PROGRESS_TABLE } from '../snapshot/snapshot-progress';
import { REQUESTS_TABLE } from '../snapshot/snapshot-requests';
import type { SourceRole } from './preflight-checks';
import { listed, type PreflightProblem, type Row } from './preflight-problem';

const WRITES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;

/** Capture's tables in schema paysync, with what each holds (named in the problems). */
const TABLES: readonly [table: string, holds: string][] = [
  [PROGRESS_TABLE, "capture's snapshot progress"],
  [REQUESTS_TABLE, 'the requests of paysync snapshot'],
];

/**
 * Capture keeps its snapshot progress and the snapshot requests in the source (schema paysync):
 * the role must be able to create what is missing and read and write what exists. A
 * least-privilege role gets the schema from the DBA (deploy/sql/postgres-capture-role.sql creates
 * it owned by the role).
 */
export async function checkBookkeeping(db: Queryable, role: SourceRole): Promise<PreflightProblem[]> {
  const { rows } = await db.query<Row>(
    `SELECT t.name, n.oid IS NOT NULL AS schema_found,
            has_schema_privilege(n.oid, 'USAGE') AS can_use,
            has_schema_privilege(n.oid, 'CREATE') AS can_create,
            c.oid IS NOT NULL AS table_found,
            ${WRITES.map((p) => `has_table_privilege(c.oid, '${p}') AS can_${p.toLowerCase()}`).join(', ')}
       FROM unnest($2::text[]) WITH ORDINALITY AS t(name, position)
       LEFT JOIN pg_namespace n ON n.nspname = $1
       LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name
      ORDER BY t.position`,
    [BOOKKEEPING_SCHEMA, TABLES.map(([table]) => table)],
  );
  const schema = quoteIdent(BOOKKEEPING_SCHEMA);
  const qualified = (table: string) => `${schema}.${quoteIdent(table)}`;
  if (rows[0].schema_found !== 't') {
    if (role.canCreateInDatabase) return [];
    return [{
      problem: `schema ${schema} (${TABLES.map(([, holds]) => holds).join(', ')}) does not exist, and role ${role.quoted} may not create it (no CREATE on database ${role.database})`,
      fix: `CREATE SCHEMA ${schema} AUTHORIZATION ${role.quoted}; (deploy/sql/postgres-capture-role.sql)`,
    }];
  }
  const missing = rows.filter((r) => r.table_found !== 't').map((r) => qualified(String(r.name)));
  const onSchema = [...(rows[0].can_use !== 't' ? ['USAGE'] : []), ...(missing.length > 0 && rows[0].can_create !== 't' ? ['CREATE'] : [])];
  const problems: PreflightProblem[] = [];
  if (onSchema.length > 0) {
    const where = missing.length > 0 ? `where capture creates ${listed(missing)}` : 'where capture keeps its tables';
    problems.push({ problem: `role ${role.quoted} lacks ${listed(onSchema)} on schema ${schema}, ${where}`, fix: `GRANT ${onSchema.join(', ')} ON SCHEMA ${schema} TO ${role.quoted};` });
  }
  rows.forEach((r, i) => {
    const lacking = r.table_found === 't' ? WRITES.filter((p) => r[`can_${p.toLowerCase()}`] !== 't') : [];
    if (lacking.length === 0) return;
    const table = qualified(String(r.name));
    problems.push({ problem: `role ${role.quoted} lacks ${listed([...lacking])} on ${table} (${TABLES[i][1]})`, fix: `GRANT ${lacking.join(', ')} ON ${table} TO ${role.quoted};` });
  });
  return problems;
}
