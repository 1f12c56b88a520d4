import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePostgresUrl, PostgresUrlError } from './libpq-url';

const dir = mkdtempSync(join(tmpdir(), 'paysync-libpq-'));
const ca = join(dir, 'ca.crt');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = 'postgres://u:p@db.internal:6543/pay';

describe('parsePostgresUrl reads TLS parameters as libpq does', () => {
  it('defaults to prefer, TLS unverified, and keeps the rest of the URL', () => {
    const t = parsePostgresUrl(`${base}?application_name=x`);
    expect(t).toMatchObject({ sslmode: 'prefer', host: 'db.internal', port: 6543, tls: { rejectUnauthorized: false } });
    expect(t.connectionString).toBe(`${base}?application_name=x`);
  });

  it('require does not check the certificate (node-postgres alone would check it)', () => {
    const t = parsePostgresUrl(`${base}?sslmode=require`);
    expect(t.tls.rejectUnauthorized).toBe(false);
    expect(t.connectionString).toBe(base);
  });

  it('require with a root certificate checks the chain, as verify-ca', () => {
    const t = parsePostgresUrl(`${base}?sslmode=require&sslrootcert=${ca}`);
    expect(t.tls.rejectUnauthorized).toBe(true);
    expect(t.tls.ca).toContain('BEGIN CERTIFICATE');
    expect(t.tls.checkServerIdentity?.('other.host', {} as never)).toBeUndefined();
  });

  it('verify-ca checks the chain but not the host name; verify-full checks both', () => {
    const ca1 = parsePostgresUrl(`${base}?sslmode=verify-ca&sslrootcert=${ca}`);
    expect(ca1.tls).toMatchObject({ rejectUnauthorized: true });
    expect(ca1.tls.checkServerIdentity).toBeDefined();
    const full = parsePostgresUrl(`${base}?sslmode=verify-full&sslrootcert=${ca}`);
    expect(full.tls).toMatchObject({ rejectUnauthorized: true });
    // Node's own host name check stays in place.
    expect(full.tls.checkServerIdentity).toBeUndefined();
    expect(full.connectionString).toBe(base);
  });

  it('sslrootcert=system verifies against the system CAs', () => {
    const t = parsePostgresUrl(`${base}?sslmode=verify-full&sslrootcert=system`);
    expect(t.tls.rejectUnauthorized).toBe(true);
    expect(t.tls.ca).toBeUndefined();
  });

  it('disable turns TLS off, and a Unix socket host never uses TLS', () => {
    expect(parsePostgresUrl(`${base}?sslmode=disable`).sslmode).toBe('disable');
    expect(parsePostgresUrl('postgres://u@localhost/pay?host=/run/postgresql&sslmode=require').sslmode).toBe('disable');
  });

  it('refuses what libpq would refuse, naming the parameter', () => {
    expect(() => parsePostgresUrl(`${base}?sslmode=verify-full`)).toThrow(/sslmode=verify-full needs a root certificate: add sslrootcert/);
    expect(() => parsePostgresUrl(`${base}?sslmode=strict`)).toThrow(PostgresUrlError);
    expect(() => parsePostgresUrl(`${base}?sslmode=allow`)).toThrow(/allow is not supported/);
    expect(() => parsePostgresUrl(`${base}?ssl=true`)).toThrow(/use sslmode/);
    expect(() => parsePostgresUrl(`${base}?sslmode=require&sslcert=${ca}`)).toThrow(/sslcert and sslkey go together/);
    expect(() => parsePostgresUrl(`${base}?sslmode=verify-ca&sslrootcert=${join(dir, 'missing.crt')}`)).toThrow(/sslrootcert=.*cannot be read \(ENOENT\)/);
  });
});
