import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';

export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** A postgres:// URL read the way libpq reads it, its TLS parameters taken out. */
export interface PostgresTarget {
  /** The URL without the TLS parameters: node-postgres would read them its own, different way. */
  connectionString: string;
  host: string;
  port: number;
  /**
   * The mode in effect: libpq never uses TLS over a Unix socket (`?host=/run/postgresql`), so
   * there every mode acts as disable.
   */
  sslmode: SslMode;
  /** The TLS options of a TLS connection in this mode (unused with disable). */
  tls: ConnectionOptions;
}

/** The URL parameters that are libpq's TLS settings (and node-postgres's own variants of them). */
const TLS_PARAMETERS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword', 'ssl', 'uselibpqcompat', 'sslsni'];

/** Thrown for a URL whose TLS parameters libpq would refuse; the message names the parameter. */
export class PostgresUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresUrlError';
  }
}

function readPem(parameter: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new PostgresUrlError(`${parameter}=${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** libpq's default root certificate file, used when sslrootcert is not given. */
const DEFAULT_ROOT_CERT = join(homedir(), '.postgresql', 'root.crt');

/**
 * Reads a PostgreSQL URL with libpq's meaning of its TLS parameters (node-postgres reads them
 * differently: without uselibpqcompat it makes `require` verify the certificate, and a URL's
 * parameters replace an `ssl` object given beside it). So paysync takes them out of the URL and
 * builds node's TLS options itself:
 * - `sslmode` (default `prefer`): disable = plaintext; prefer = TLS when the server offers it, else
 *   plaintext; require = TLS, certificate not checked; verify-ca = TLS, certificate signed by the
 *   root CA; verify-full = verify-ca and the certificate names the host.
 * - `sslrootcert` (default ~/.postgresql/root.crt when it exists; `system` = the system CAs): as in
 *   libpq, a root certificate given makes prefer and require check the chain too (as verify-ca).
 * - `sslcert`/`sslkey` (and `sslpassword` for an encrypted key): the client certificate.
 */
export function parsePostgresUrl(url: string): PostgresTarget {
  const parsed = new URL(url);
  const param = (name: string): string | undefined => parsed.searchParams.get(name) ?? undefined;
  if (param('ssl') !== undefined) throw new PostgresUrlError('the URL parameter ssl is not libpq\'s: use sslmode=disable|prefer|require|verify-ca|verify-full');
  const given = param('sslmode') ?? 'prefer';
  if (!(SSL_MODES as readonly string[]).includes(given)) {
    throw new PostgresUrlError(`sslmode=${given} is not one of ${SSL_MODES.join(', ')}${given === 'allow' ? ' (allow is not supported: use prefer or disable)' : ''}`);
  }
  const sslmode = given as SslMode;
  const rootCertParam = param('sslrootcert');
  const rootCert = rootCertParam ?? (existsSync(DEFAULT_ROOT_CERT) ? DEFAULT_ROOT_CERT : undefined);
  const verifies = sslmode === 'verify-ca' || sslmode === 'verify-full' || (rootCert !== undefined && sslmode !== 'disable');
  if (verifies && rootCert === undefined) {
    throw new PostgresUrlError(`sslmode=${sslmode} needs a root certificate: add sslrootcert=<CA file> (or sslrootcert=system for the system CAs)`);
  }
  const tls: ConnectionOptions = { rejectUnauthorized: verifies };
  if (verifies && rootCert !== 'system') tls.ca = readPem('sslrootcert', rootCert!);
  // verify-ca checks the chain only; verify-full also the host name (node's default check).
  if (sslmode !== 'verify-full') tls.checkServerIdentity = () => undefined;
  const sslcert = param('sslcert');
  const sslkey = param('sslkey');
  if ((sslcert === undefined) !== (sslkey === undefined)) throw new PostgresUrlError('sslcert and sslkey go together: give both or neither');
  if (sslcert !== undefined && sslkey !== undefined) {
    tls.cert = readPem('sslcert', sslcert);
    tls.key = readPem('sslkey', sslkey);
    const passphrase = param('sslpassword');
    if (passphrase !== undefined) tls.passphrase = passphrase;
  }
  for (const name of TLS_PARAMETERS) parsed.searchParams.delete(name);
  const host = param('host') ?? (decodeURIComponent(parsed.hostname).replace(/^\[(.*)\]$/, '$1') || 'localhost');
  return {
    connectionString: parsed.toString(),
    host,
    port: Number(param('port') ?? (parsed.port || 5432)),
    sslmode: host.startsWith('/') ? 'disable' : sslmode,
    tls,
  };
}
