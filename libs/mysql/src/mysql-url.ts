import { readFileSync } from 'node:fs';
import { SettingError } from '@paysync/config';

/** ssl-mode levels, as MySQL's and MariaDB's clients name them, with libpq's names as aliases. */
const MODES = { DISABLED: 'DISABLED', REQUIRED: 'REQUIRED', VERIFY_CA: 'VERIFY_CA', VERIFY_IDENTITY: 'VERIFY_IDENTITY', DISABLE: 'DISABLED', REQUIRE: 'REQUIRED', 'VERIFY-CA': 'VERIFY_CA', 'VERIFY-FULL': 'VERIFY_IDENTITY' } as const;
export type MysqlSslMode = (typeof MODES)[keyof typeof MODES];

export interface MysqlSsl {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
  verifyIdentity: boolean;
}

/** A mysql:// URL's connection fields, its TLS parameters read as the MySQL client reads them. */
export interface MysqlTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  sslMode: MysqlSslMode;
  ssl?: MysqlSsl;
}

function readPem(setting: string, parameter: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new SettingError([setting], `${parameter}=${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'Give the path of a PEM file paysync can read.');
  }
}

/**
 * Reads a MariaDB/MySQL URL. TLS follows the `ssl-mode` parameter (default DISABLED, as the
 * driver's; PREFERRED is not offered, since a silent fall-back to plaintext is what it means):
 * REQUIRED = TLS, certificate not checked; VERIFY_CA = signed by `ssl-ca`; VERIFY_IDENTITY = also
 * names the host. `ssl-cert`/`ssl-key` give a client certificate. libpq's names (require,
 * verify-ca, verify-full) are accepted too.
 */
export function parseMysqlUrl(url: string, setting = 'PAYSYNC_TARGET_URL'): MysqlTarget {
  const parsed = new URL(url);
  const param = (name: string): string | undefined => parsed.searchParams.get(name) ?? parsed.searchParams.get(name.replace(/-/g, '_')) ?? undefined;
  const given = (param('ssl-mode') ?? 'DISABLED').toUpperCase();
  const sslMode = MODES[given as keyof typeof MODES];
  if (sslMode === undefined) {
    throw new SettingError([setting], `ssl-mode=${given} is not one of DISABLED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY`, given === 'PREFERRED' ? 'PREFERRED would fall back to plaintext silently: choose DISABLED or REQUIRED.' : 'See the README, "Security".');
  }
  const target: MysqlTarget = {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
    sslMode,
  };
  const [ca, cert, key] = ['ssl-ca', 'ssl-cert', 'ssl-key'].map((name) => {
    const path = param(name);
    return path === undefined ? undefined : readPem(setting, name, path);
  });
  if (sslMode === 'DISABLED') {
    if (ca || cert || key) throw new SettingError([setting], 'has ssl-ca, ssl-cert or ssl-key but no ssl-mode', 'Add ssl-mode=VERIFY_IDENTITY (or REQUIRED, VERIFY_CA) to use TLS.');
    return target;
  }
  const verifies = sslMode !== 'REQUIRED';
  if (verifies && !ca) throw new SettingError([setting], `ssl-mode=${sslMode} needs ssl-ca=<CA file>`, 'Give the CA certificate that signed the server\'s certificate.');
  if ((cert === undefined) !== (key === undefined)) throw new SettingError([setting], 'ssl-cert and ssl-key go together', 'Give both or neither.');
  target.ssl = { ...(ca ? { ca } : {}), ...(cert ? { cert, key } : {}), rejectUnauthorized: verifies, verifyIdentity: sslMode === 'VERIFY_IDENTITY' };
  return target;
}
