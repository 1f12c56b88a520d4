import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMysqlPool } from '@paysync/mysql';
import { createPool, quoteIdent } from '@paysync/postgres';
import { uniqueName } from './fixtures';
import { stackAddresses } from './stack-addresses';
import type { ScratchTarget } from './target-databases';

const DEPLOY_SQL = join(__dirname, '..', '..', 'deploy', 'sql');

/** A role (PostgreSQL) or user (MariaDB) of the test's own; dropped by dropPostgresRoles / dropMariadbUsers. */
export interface ScratchLogin {
  name: string;
  password: string;
}

export function scratchLogin(prefix: string): ScratchLogin {
  return { name: uniqueName(prefix), password: randomBytes(12).toString('hex') };
}

/** The URL with this login instead of its own. */
export function withLogin(url: string, login: ScratchLogin): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(login.name);
  parsed.password = encodeURIComponent(login.password);
  return parsed.toString();
}

/** A client program as scripts/stack finds it: PostgreSQL's newest bin folder first, then PATH. */
export function findProgram(names: string[]): string {
  const pgBins = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)).map((v) => `/usr/lib/postgresql/${v}/bin`)
    : [];
  for (const dir of [...pgBins, ...(process.env.PATH ?? '').split(':')]) {
    for (const name of names) if (existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`none of ${names.join(', ')} found: npm run stack:up installs the database clients`);
}

export interface ScriptRun {
  code: number;
  output: string;
}

/** Runs a client program (at most a minute) and resolves with its exit code and output, never rejecting. */
export function runProgram(program: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<ScriptRun> {
  return new Promise((resolve) => {
    const child = execFile(program, args, { env: { PATH: process.env.PATH ?? '', ...options.env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs deploy/sql/<script> with psql against the database `url` names, as the URL's user, with -v name=value each. */
export function runPsqlScript(url: string, script: string, variables: Record<string, string>): Promise<ScriptRun> {
  const vars = Object.entries(variables).flatMap(([name, value]) => ['-v', `${name}=${value}`]);
  return runProgram(findProgram(['psql']), ['-X', '-q', '-d', url, ...vars, '-f', join(DEPLOY_SQL, script)]);
}

/** Runs deploy/sql/<script> with the mariadb client in the database `url` names, the variables as @name user variables. */
export function runMariadbScript(url: string, script: string, variables: Record<string, string | number>): Promise<ScriptRun> {
  const parsed = new URL(url);
  const values = Object.entries(variables).map(([name, value]) => `@${name}=${typeof value === 'number' ? value : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`}`);
  const args = ['--no-defaults', '-h', parsed.hostname, '-P', parsed.port, '-u', decodeURIComponent(parsed.username), `--init-command=SET ${values.join(', ')}`, decodeURIComponent(parsed.pathname.slice(1))];
  return runProgram(findProgram(['mariadb', 'mysql']), args, { input: readFileSync(join(DEPLOY_SQL, script), 'utf8'), env: { MYSQL_PWD: decodeURIComponent(parsed.password) } });
}

/** Fails with the script's output unless it succeeded. */
export async function expectScriptRan(run: Promise<ScriptRun>): Promise<void> {
  const { code, output } = await run;
  if (code !== 0) throw new Error(`deploy/sql script failed (exit ${code}):\n${output}`);
}

/**
 * Drops the roles, after the scratch databases holding their objects and grants are gone (a role
 * is cluster-wide; what it owned in another database would have to be dropped there first).
 */
export async function dropPostgresRoles(logins: ScratchLogin[]): Promise<void> {
  const admin = createPool(stackAddresses().PAYSYNC_TEST_PG_URL, { applicationName: 'paysync-test-admin', max: 1 });
  try {
    for (const { name } of logins) {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [name]);
      await admin.query(`DROP ROLE IF EXISTS ${quoteIdent(name)}`);
    }
  } finally {
    await admin.end();
  }
}

export async function dropMariadbUsers(logins: ScratchLogin[]): Promise<void> {
  const admin = createMysqlPool(stackAddresses().PAYSYNC_TEST_MYSQL_URL, { max: 1 });
  try {
    for (const { name } of logins) await admin.query('DROP USER IF EXISTS ?@?', [name, '%']);
  } finally {
    await admin.end();
  }
}

/**
 * Apply's role (PostgreSQL) or user (MariaDB) on a scratch target, made by the deploy/sql script,
 * allowed to create the tables; `tables` as in PAYSYNC_TABLES (schema.table).
 */
export async function applyLoginOn(target: ScratchTarget, tables: string[]): Promise<ScratchLogin> {
  const login = scratchLogin('paysync_apply');
  if (target.kind === 'postgres') {
    await expectScriptRan(runPsqlScript(target.url, 'postgres-apply-role.sql', { role: login.name, password: login.password, tables: tables.join(','), create_tables: 'on' }));
  } else {
    const bare = tables.map((t) => t.split('.')[1]).join(',');
    await expectScriptRan(runMariadbScript(target.url, 'mariadb-apply-user.sql', { paysync_user: login.name, paysync_password: login.password, paysync_tables: bare, paysync_create_tables: 1 }));
  }
  return login;
}
