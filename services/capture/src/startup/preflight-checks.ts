import { qualifiedName, type Queryable } from '@paysync/postgres';
import { splitTableName } from '../table-name';

/** Something on the source that stops capture from starting safely, and how to fix it. */
export interface PreflightProblem {
  problem: string;
  fix: string;
}

export class PreflightError extends Error {
  constructor(readonly problems: PreflightProblem[]) {
    super(
      `capture cannot start: ${problems.length} problem${problems.length === 1 ? '' : 's'} on the source database:\n` +
        problems.map((p) => `  - ${p.problem}\n    fix: ${p.fix}`).join('\n'),
    );
    this.name = 'PreflightError';
  }
}

export interface PreflightInput {
  tables: string[];
  slot: string;
  publication: string;
}

type Row = Record<string, string | null>;

async function one(db: Queryable, sql: string, params: unknown[] = []): Promise<Row> {
  const { rows } = await db.query<Row>(sql, params);
  return rows[0] ?? {};
}


/**
 * Checks the source before anything is created or read: logical WAL, a free slot and sender,
 * replication privilege, and for each table that it exists, can be read, and identifies its rows
 * in the WAL. All problems are reported together, each with the statement or setting that fixes it.
 */
export async function runPreflightChecks(db: Queryable, input: PreflightInput): Promise<void> {
  const problems: PreflightProblem[] = [];
  const settings = await one(
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
            EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $2) AS publication_exists`,
    [input.slot, input.publication],
  );
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
      problem: `role "${settings.role}" may not start replication`,
      fix: `ALTER ROLE ${settings.role} WITH REPLICATION;`,
    });
  }
  for (const name of input.tables) problems.push(...(await checkTable(db, name, settings.publication_exists === 't')));
  if (problems.length > 0) throw new PreflightError(problems);
}

async function checkTable(db: Queryable, name: string, publicationExists: boolean): Promise<PreflightProblem[]> {
  const [schema, table] = splitTableName(name);
  const quoted = qualifiedName(schema, table);
  const info = await one(
    db,
    `SELECT c.oid IS NOT NULL AS found,
            c.relkind,
            c.relreplident,
            pg_has_role(c.relowner, 'USAGE') AS owned,
            has_table_privilege(c.oid, 'SELECT') AS can_select,
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
  if (info.can_select !== 't') {
    problems.push({ problem: `cannot read ${name} (needed for the snapshot)`, fix: `GRANT SELECT ON ${quoted} TO current_user;` });
  }
  if (!publicationExists && info.owned !== 't') {
    problems.push({
      problem: `the publication is missing and only the owner of ${name} can add it to one`,
      fix: `as the owner: CREATE PUBLICATION <PAYSYNC_PUBLICATION> FOR TABLE ${quoted}, ...;`,
    });
  }
  return problems;
}
