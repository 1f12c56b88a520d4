import { qualifiedName, quoteIdent, type Queryable } from '@paysync/postgres';
import { splitTableName } from '../table-name';
import { checkBookkeeping } from './bookkeeping-checks';
import { checkFullReplicaIdentity } from './full-replica-identity-check';
import { checkOriginFilter } from './origin-filter-check';
import { firstRow, PreflightError, type PreflightProblem } from './preflight-problem';
import { checkPublication } from './publication-checks';

export interface PreflightInput {
  tables: string[];
  slot: string;
  publication: string;
  skipAppliedChanges: boolean;
  skipOriginsAtSource: boolean;
}

/** Who capture runs as, for the checks and the statements that fix them. */
export interface SourceRole {
  /** Quoted for a statement: ALTER ROLE ${role.quoted} ... */
  quoted: string;
  database: string;
  canCreateInDatabase: boolean;
}

/**
 * Checks the source before anything is created or read: logical WAL, a free slot and sender, the
 * role's privileges (replication, logical messages, each table, the publication, capture's own
 * schema), and for each table that it exists and identifies its rows in the WAL. All problems are
 * reported together, each with the statement or setting that fixes it. Once they pass, the tables
 * must also suit PAYSYNC_SKIP_APPLIED_CHANGES and PAYSYNC_SKIP_ORIGINS_AT_SOURCE when they are on.
 */
export async function runPreflightChecks(db: Queryable, input: PreflightInput): Promise<void> {
  const problems: PreflightProblem[] = [];
  const settings = await firstRow(
    db,
    `SELECT current_setting('wal_level') AS wal_level,
            current_setting('max_replication_slots')::int AS max_slots,
            current_setting('max_wal_senders')::int AS max_senders,
            (SELECT count(*) FROM pg_replication_slots) AS used_slots,
            (SELECT count(*) FROM pg_stat_replication) AS used_senders,
            EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1) AS slot_exists,
            (SELECT plugin FROM pg_replication_slots WHERE slot_name = $1) AS slot_plugin,
            (SELECT database FROM pg_replication_slots WHERE slot_name = $1) AS slot_database,
            current_database() AS database,
            current_user AS role,
            (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user) AS can_replicate,
            has_function_privilege('pg_logical_emit_message(boolean, text, text)', 'EXECUTE') AS can_emit,
            has_database_privilege(current_database(), 'CREATE') AS can_create_in_database`,
    [input.slot],
  );
  const role: SourceRole = { quoted: quoteIdent(settings.role ?? ''), database: settings.database ?? '', canCreateInDatabase: settings.can_create_in_database === 't' };
  if (settings.wal_level !== 'logical') {
    problems.push({
      problem: `wal_level is '${settings.wal_level}'; logical decoding needs 'logical'`,
      fix: 'ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL',
    });
  }
  if (settings.slot_exists === 't') {
    if (settings.slot_plugin !== 'pgoutput' || settings.slot_database !== settings.database) {
      problems.push({
        problem: `replication slot "${input.slot}" exists but belongs to plugin ${settings.slot_plugin} in database ${settings.slot_database}`,
        fix: `choose another PAYSYNC_SLOT, or drop it if unused: SELECT pg_drop_replication_slot('${input.slot}')`,
      });
    }
  } else if (Number(settings.used_slots) >= Number(settings.max_slots)) {
    problems.push({
      problem: `no free replication slot: ${settings.used_slots} of max_replication_slots=${settings.max_slots} are used`,
      fix: `drop an unused slot (SELECT pg_drop_replication_slot('name')) or ALTER SYSTEM SET max_replication_slots = ${Number(settings.max_slots) + 4}; then restart PostgreSQL`,
    });
  }
  if (Number(settings.used_senders) >= Number(settings.max_senders)) {
    problems.push({
      problem: `no free WAL sender: ${settings.used_senders} of max_wal_senders=${settings.max_senders} are in use`,
      fix: `ALTER SYSTEM SET max_wal_senders = ${Number(settings.max_senders) + 4}; then restart PostgreSQL`,
    });
  }
  if (settings.can_replicate !== 't') {
    problems.push({
      problem: `role ${role.quoted} has no REPLICATION attribute: it may not create the slot or stream the WAL`,
      fix: `as a superuser: ALTER ROLE ${role.quoted} REPLICATION; (deploy/sql/postgres-capture-role.sql)`,
    });
  }
  if (settings.can_emit !== 't') {
    problems.push({
      problem: `role ${role.quoted} may not run pg_logical_emit_message (snapshot watermarks and heartbeats are logical messages)`,
      fix: `GRANT EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) TO ${role.quoted};`,
    });
  }
  const unusableSchemas = new Set<string>();
  for (const name of input.tables) problems.push(...(await checkTable(db, name, role, unusableSchemas)));
  problems.push(...(await checkPublication(db, input, role)));
  problems.push(...(await checkBookkeeping(db, role)));
  if (problems.length > 0) throw new PreflightError(problems);
  if (input.skipAppliedChanges) await checkFullReplicaIdentity(db, input.tables);
  if (input.skipOriginsAtSource) await checkOriginFilter(db);
}

/** One table: it exists, is a table with a key whose changes carry it, and the role reads all its rows. */
async function checkTable(db: Queryable, name: string, role: SourceRole, unusableSchemas: Set<string>): Promise<PreflightProblem[]> {
  const [schema, table] = splitTableName(name);
  const quoted = qualifiedName(schema, table);
  const info = await firstRow(
    db,
    `SELECT c.oid IS NOT NULL AS found,
            c.relkind,
            c.relreplident,
            has_schema_privilege(n.oid, 'USAGE') AS schema_usage,
            has_table_privilege(c.oid, 'SELECT') AS can_select,
            -- Policies hide rows unless the role bypasses them (superuser, BYPASSRLS, or owner without FORCE).
            c.relrowsecurity AND NOT (SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user)
              AND NOT (pg_has_role(c.relowner, 'USAGE') AND NOT c.relforcerowsecurity) AS rows_hidden,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, table],
  );
  if (info.found !== 't') {
    return [{ problem: `table ${name} does not exist`, fix: `create it, or remove it from PAYSYNC_TABLES (names are case-sensitive: schema.table)` }];
  }
  const problems: PreflightProblem[] = [];
  if (info.relkind !== 'r' && info.relkind !== 'p') {
    problems.push({ problem: `${name} is not a table (relkind ${info.relkind})`, fix: 'capture tables only; remove it from PAYSYNC_TABLES' });
  }
  if (info.has_pk !== 't') {
    problems.push({
      problem: `table ${name} has no primary key; events are keyed and versioned by it`,
      fix: `ALTER TABLE ${quoted} ADD PRIMARY KEY (<columns>);`,
    });
  }
  if (info.relreplident === 'n') {
    problems.push({
      problem: `table ${name} has REPLICA IDENTITY NOTHING, so its updates and deletes carry no key in the WAL`,
      fix: `ALTER TABLE ${quoted} REPLICA IDENTITY DEFAULT; (or FULL, to also capture before-images)`,
    });
  }
  if (info.schema_usage !== 't' && !unusableSchemas.has(schema)) {
    unusableSchemas.add(schema);
    problems.push({ problem: `role ${role.quoted} may not use schema ${schema} (no USAGE), so it cannot read ${name}`, fix: `GRANT USAGE ON SCHEMA ${quoteIdent(schema)} TO ${role.quoted};` });
  }
  if (info.can_select !== 't') {
    problems.push({ problem: `role ${role.quoted} may not read ${name} (no SELECT; the snapshot and re-reads read it)`, fix: `GRANT SELECT ON ${quoted} TO ${role.quoted};` });
  }
  if (info.rows_hidden === 't') {
    problems.push({
      problem: `table ${name} has row-level security and role ${role.quoted} is subject to its policies: the snapshot would copy only the rows they show`,
      fix: `as a superuser: ALTER ROLE ${role.quoted} BYPASSRLS;`,
    });
  }
  return problems;
}
