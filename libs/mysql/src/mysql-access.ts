import { connectionFailure, SettingError, tlsSettingError, UnreachableError, type Dependency } from '@paysync/config';
import type { MysqlPool } from './mysql-pool';
import { parseMysqlUrl } from './mysql-url';

/**
 * The setting an error of a first connection points at, when retrying cannot help (a password,
 * a certificate, a TLS mode the server refuses); undefined for errors that can pass.
 */
export function explainMysqlError(err: unknown, url: string, setting: string): SettingError | undefined {
  const target = parseMysqlUrl(url, setting);
  const where = `MariaDB/MySQL at ${target.host}:${target.port}`;
  const { code = '', message = '' } = err as { code?: string; message?: string };
  if (code === 'ER_ACCESS_DENIED_ERROR') {
    const tlsHint = target.sslMode === 'DISABLED' ? ' A user created with REQUIRE SSL is refused without TLS too: add ssl-mode=VERIFY_IDENTITY&ssl-ca=<CA file>.' : '';
    return new SettingError([setting], `${where} refused user "${target.user}": ${message}`, `Check the user name and password.${tlsHint}`);
  }
  if (code === 'ER_BAD_DB_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR') return new SettingError([setting], `${where}: ${message}`, 'Check the database name in the URL and the user\'s grants on it.');
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT') return new SettingError([setting], `${where} does not offer TLS but ssl-mode=${target.sslMode} needs it`, 'Configure TLS on the server (ssl_cert, ssl_key), or use ssl-mode=DISABLED.');
  return tlsSettingError(err, where, {
    untrusted: { settings: [setting], note: ` (ssl-mode=${target.sslMode})`, fix: 'Set ssl-ca in the URL to the CA certificate that signed the server\'s certificate.' },
    wrongHost: { settings: [setting], note: ' (ssl-mode=VERIFY_IDENTITY checks it)', fix: 'Use a host name the certificate names, or ssl-mode=VERIFY_CA to check the CA only.' },
    handshake: { settings: [setting], fix: 'If the server wants a client certificate, add ssl-cert and ssl-key to the URL.' },
  });
}

/** The server a URL names, for the line saying it does not answer. */
export function mysqlDependency(url: string, setting: string): Dependency {
  const { host, port } = parseMysqlUrl(url, setting);
  return { kind: 'mysql', name: 'MariaDB/MySQL', address: `${host}:${port}`, setting };
}

/**
 * One query before a service starts: a URL the server refuses stops the command with a
 * SettingError, a server that does not answer throws an UnreachableError (for the service to wait on).
 */
export async function checkMysqlAccess(pool: MysqlPool, url: string, setting: string): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    const explained = explainMysqlError(err, url, setting);
    if (explained) throw explained;
    const failure = connectionFailure(err);
    if (failure !== undefined) throw new UnreachableError(mysqlDependency(url, setting), failure, err);
  }
}
