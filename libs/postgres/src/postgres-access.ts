import { connectionFailure, SettingError, tlsSettingError, UnreachableError, type Dependency } from '@paysync/config';
import { parsePostgresUrl, PostgresUrlError, type PostgresTarget } from './libpq-url';
import type { Queryable } from './pool';

/** parsePostgresUrl, its errors as SettingErrors naming the setting the URL came from. */
export function postgresTarget(url: string, setting = 'PAYSYNC_SOURCE_URL'): PostgresTarget {
  try {
    return parsePostgresUrl(url);
  } catch (err) {
    if (err instanceof PostgresUrlError) throw new SettingError([setting], err.message, 'See the README, "Security", for what each TLS parameter means.');
    throw new SettingError([setting], 'is not a valid PostgreSQL URL', 'Expected postgres://user:password@host:port/database?sslmode=verify-full&sslrootcert=/path/ca.crt');
  }
}

/**
 * The setting an error of a first connection points at, when retrying cannot help (a password,
 * a certificate, a TLS mode the server refuses); undefined for errors that can pass.
 */
export function explainPostgresError(err: unknown, url: string, setting: string): SettingError | undefined {
  const target = postgresTarget(url, setting);
  const parsed = new URL(url);
  const where = `PostgreSQL at ${target.host}:${target.port}`;
  const user = decodeURIComponent(parsed.username);
  const { code = '', message = '' } = err as { code?: string; message?: string };
  if (code === '28P01') return new SettingError([setting], `${where} refused the password of user "${user}"`, 'Check the password in the URL (or in the file of the _FILE setting).');
  if (code === '28000') {
    const tlsOnly = /no encryption/i.test(message) ? ' It allows this client only over TLS: use sslmode=require or stronger.' : '';
    return new SettingError([setting], `${where} refused the connection: ${message}`, `Its pg_hba.conf has no entry for this user, database and transport.${tlsOnly}`);
  }
  if (code === '3D000') return new SettingError([setting], `${where} has no such database: ${message}`, 'Check the database name in the URL.');
  if (/server does not support SSL/i.test(message)) {
    return new SettingError([setting], `${where} does not offer TLS (ssl=off) but sslmode=${target.sslmode} needs it`, 'Turn ssl on in the server, or use sslmode=prefer or disable.');
  }
  return tlsSettingError(err, where, {
    untrusted: { settings: [setting], note: ` (sslmode=${target.sslmode})`, fix: 'Set sslrootcert in the URL to the CA certificate that signed the server\'s certificate.' },
    wrongHost: { settings: [setting], note: ' (sslmode=verify-full checks it)', fix: 'Use a host name the certificate names, or sslmode=verify-ca to check the CA only.' },
    handshake: { settings: [setting], fix: 'If the server wants a client certificate, add sslcert and sslkey to the URL.' },
  });
}

/** The server a URL names, for the line saying it does not answer. */
export function postgresDependency(url: string, setting: string): Dependency {
  const { host, port } = postgresTarget(url, setting);
  return { kind: 'postgres', name: 'PostgreSQL', address: `${host}:${port}`, setting };
}

/**
 * One query before a service starts, so a URL the server refuses stops the command with a
 * SettingError naming it instead of the service retrying it, and a server that does not answer
 * throws an UnreachableError naming it, for the service to wait on. Other errors (a server still
 * starting up) are left to the service's own handling.
 */
export async function checkPostgresAccess(db: Queryable, url: string, setting: string): Promise<void> {
  try {
    await db.query('SELECT 1');
  } catch (err) {
    const explained = explainPostgresError(err, url, setting);
    if (explained) throw explained;
    const failure = connectionFailure(err);
    if (failure !== undefined) throw new UnreachableError(postgresDependency(url, setting), failure, err);
  }
}
