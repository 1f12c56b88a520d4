import { qualifiedName, quoteIdent, type Queryable } from '@paysync/postgres';
import { splitTableName } from '../table-name';
import type { SourceRole } from './preflight-checks';
import { firstRow, listed, type PreflightProblem } from './preflight-problem';

const PUBLISHED_OPERATIONS = ['insert', 'update', 'delete', 'truncate'] as const;

/**
 * The publication must list exactly the configured tables and publish every kind of change.
 * Capture creates or corrects it itself when it may: only the owner of a table may publish it
 * (and CREATE PUBLICATION needs CREATE on the database, ALTER PUBLICATION ownership of it). A
 * least-privilege role may not, so then the owner's statement is the fix.
 */
export async function checkPublication(db: Queryable, input: { publication: string; tables: string[] }, role: SourceRole): Promise<PreflightProblem[]> {
  const publication = quoteIdent(input.publication);
  const { rows: tables } = await db.query<{ name: string; owned: string }>(
    `SELECT n.nspname || '.' || c.relname AS name, pg_has_role(c.relowner, 'USAGE') AS owned
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname || '.' || c.relname = ANY ($1)`,
    [input.tables],
  );
  // Tables that do not exist are reported by the table checks.
  const existing = input.tables.filter((t) => tables.some((r) => r.name === t));
  const notOwned = tables.filter((r) => r.owned !== 't').map((r) => r.name);
  const quoted = (names: string[]) => names.map((t) => qualifiedName(...splitTableName(t))).join(', ');
  const createFix = (name: string) => `as the owner of the tables: CREATE PUBLICATION ${name} FOR TABLE ${quoted(existing)}; (deploy/sql/postgres-capture-publication.sql)`;
  const pub = await firstRow(
    db,
    `SELECT true AS found, puballtables AS all_tables, pg_has_role(pubowner, 'USAGE') AS owned, pubinsert, pubupdate, pubdelete, pubtruncate
       FROM pg_publication WHERE pubname = $1`,
    [input.publication],
  );
  if (pub.found !== 't') {
    if (notOwned.length === 0 && role.canCreateInDatabase) return [];
    const reason = notOwned.length > 0 ? `only a table's owner may publish it, and ${role.quoted} does not own ${listed(notOwned)}` : `it has no CREATE on database ${role.database}`;
    return [{ problem: `publication ${publication} does not exist, and role ${role.quoted} may not create it: ${reason}`, fix: createFix(publication) }];
  }
  const problems: PreflightProblem[] = [];
  const unpublished = PUBLISHED_OPERATIONS.filter((op) => pub[`pub${op}`] !== 't');
  if (unpublished.length > 0) {
    problems.push({
      problem: `publication ${publication} does not publish ${listed([...unpublished])}: those changes would never reach Kafka`,
      fix: `as its owner: ALTER PUBLICATION ${publication} SET (publish = '${PUBLISHED_OPERATIONS.join(', ')}');`,
    });
  }
  const { rows: published } = await db.query<{ name: string }>(`SELECT schemaname || '.' || tablename AS name FROM pg_publication_tables WHERE pubname = $1`, [input.publication]);
  const present = new Set(published.map((r) => r.name));
  const lacking = existing.filter((t) => !present.has(t));
  const extra = [...present].filter((t) => !input.tables.includes(t));
  // Capture sets the publication's tables itself when it owns the publication and every table.
  if ((lacking.length === 0 && extra.length === 0) || (pub.owned === 't' && pub.all_tables !== 't' && notOwned.length === 0)) return problems;
  const why = pub.all_tables === 't' ? 'it is FOR ALL TABLES' : pub.owned !== 't' ? `${role.quoted} does not own it` : `${role.quoted} does not own ${listed(notOwned)}`;
  if (lacking.length > 0) {
    problems.push({
      problem: `publication ${publication} does not publish ${listed(lacking)}, and capture may not add ${lacking.length === 1 ? 'it' : 'them'} (${why})`,
      fix: `as the owner of the publication and the tables: ALTER PUBLICATION ${publication} ADD TABLE ${quoted(lacking)}; (deploy/sql/postgres-capture-publication.sql)`,
    });
  }
  if (extra.length > 0) {
    problems.push({
      problem: `publication ${publication} also publishes ${listed(extra.slice(0, 10))}${extra.length > 10 ? ` and ${extra.length - 10} more` : ''}, not in PAYSYNC_TABLES (capture would stream them too), and capture may not drop them (${why})`,
      fix:
        pub.all_tables === 't'
          ? `use a publication of exactly PAYSYNC_TABLES: ${createFix('<new name>')}, and set PAYSYNC_PUBLICATION to it`
          : `as the owner of the publication: ALTER PUBLICATION ${publication} DROP TABLE ${quoted(extra)}; (or add them to PAYSYNC_TABLES)`,
    });
  }
  return problems;
}
