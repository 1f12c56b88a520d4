import { qualifiedName, quoteIdent, type Queryable } from '@paysync/postgres';
import type { PrivilegeProblem } from '../missing-privileges';
import type { TargetName } from '../target';

/** A table apply writes, and what it does there. */
export interface WrittenTable {
  name: TargetName;
  privileges: readonly string[];
}

/**
 * What the role lacks for these tables: USAGE on each schema, the table's privileges if it exists,
 * else CREATE in its schema (or on the database, for a schema apply would create). Problems on a
 * schema are listed once.
 */
export async function missingPostgresPrivileges(db: Queryable, tables: WrittenTable[]): Promise<PrivilegeProblem[]> {
  const { rows } = await db.query<{ role: string; database: string; can_create_schema: string }>(
    `SELECT current_user AS role, current_database() AS database, has_database_privilege(current_database(), 'CREATE') AS can_create_schema`,
  );
  const role = quoteIdent(rows[0].role);
  const problems = new Map<string, PrivilegeProblem>();
  const add = (problem: string, fix: string) => problems.set(fix, problems.get(fix) ?? { problem, fix });
  for (const { name, privileges } of tables) {
    const schema = name.schema ?? 'public';
    const label = qualifiedName(schema, name.table);
    const { rows: found } = await db.query<{ schema_found: string; can_use: string; can_create: string; table_found: string; lacking: string }>(
      `SELECT n.oid IS NOT NULL AS schema_found,
              has_schema_privilege(n.oid, 'USAGE') AS can_use,
              has_schema_privilege(n.oid, 'CREATE') AS can_create,
              c.oid IS NOT NULL AS table_found,
              array_to_string(ARRAY(SELECT p FROM unnest($3::text[]) AS p WHERE NOT has_table_privilege(c.oid, p)), ', ') AS lacking
         FROM (SELECT) AS one
         LEFT JOIN pg_namespace n ON n.nspname = $1
         LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = $2`,
      [schema, name.table, privileges],
    );
    const info = found[0];
    if (info.schema_found !== 't') {
      if (rows[0].can_create_schema !== 't') {
        add(`schema ${quoteIdent(schema)} does not exist, and role ${role} may not create it (no CREATE on database ${rows[0].database})`, `CREATE SCHEMA ${quoteIdent(schema)} AUTHORIZATION ${role};`);
      }
      continue;
    }
    const onSchema = [...(info.can_use !== 't' ? ['USAGE'] : []), ...(info.table_found !== 't' && info.can_create !== 't' ? ['CREATE'] : [])];
    if (onSchema.length > 0) {
      const why = info.table_found === 't' ? '' : ` (apply creates the missing table ${label})`;
      add(`role ${role} lacks ${onSchema.join(', ')} on schema ${quoteIdent(schema)}${why}`, `GRANT ${onSchema.join(', ')} ON SCHEMA ${quoteIdent(schema)} TO ${role};`);
    }
    if (info.lacking) add(`role ${role} lacks ${info.lacking} on ${label}`, `GRANT ${info.lacking} ON ${label} TO ${role};`);
  }
  return [...problems.values()];
}
