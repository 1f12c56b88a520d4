import pg from 'pg';
import { postgresTarget } from './postgres-access';
import { sessionOptions } from './session-settings';
import { clientClassFor } from './tls-negotiation';

/** A prepared statement's run: see prepared-statements.ts. */
export interface NamedQuery {
  name: string;
  text: string;
  values: unknown[];
}

/** Anything that runs SQL: a pool, a client, a transaction. Modules that only need SQL take this. */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string | NamedQuery, params?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/**
 * Every column comes back as PostgreSQL's own text (or null): nothing is turned into a lossy JS
 * number or Date behind our back. Callers convert what they need, exactly.
 */
export const rawText = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

export interface PoolOptions {
  applicationName: string;
  max?: number;
  /** Passed to the server as statement_timeout (ms); 0 means none. */
  statementTimeoutMs?: number;
  /** The setting the URL came from, named in errors (default PAYSYNC_SOURCE_URL). */
  setting?: string;
  /** Server settings of this pool's sessions besides SESSION_SETTINGS. */
  sessionSettings?: Readonly<Record<string, string>>;
}

/** A pool on the URL, its TLS parameters read as libpq reads them (see libpq-url.ts). */
export function createPool(url: string, options: PoolOptions): Pool {
  const target = postgresTarget(url, options.setting);
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    ssl: target.sslmode === 'disable' ? false : target.tls,
    Client: clientClassFor(target),
    application_name: options.applicationName,
    max: options.max ?? 4,
    options: sessionOptions(options.sessionSettings),
    types: rawText,
    statement_timeout: options.statementTimeoutMs ?? 0,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  // Nor a checked-out one between two queries (pg-pool listens only while a client is idle): its
  // next query fails instead, the caller's error path runs, and release(err) discards the client.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Runs `work` in one transaction on one client: committed if it returns, rolled back if it throws. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Quotes an identifier for SQL: "my ""odd"" name". */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** "schema"."table" */
export function qualifiedName(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}
