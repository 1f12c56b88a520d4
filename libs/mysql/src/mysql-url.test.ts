import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMysqlUrl } from './mysql-url';

const dir = mkdtempSync(join(tmpdir(), 'paysync-mysql-url-'));
const ca = join(dir, 'ca.crt');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = 'mysql://u:p%40ss@reporting:3307/pay';

describe('parseMysqlUrl', () => {
  it('reads the connection fields and defaults to no TLS', () => {
    expect(parseMysqlUrl(base)).toEqual({ host: 'reporting', port: 3307, user: 'u', password: 'p@ss', database: 'pay', sslMode: 'DISABLED' });
  });

  it('maps each ssl-mode (MySQL or libpq names) to certificate and host checks', () => {
    expect(parseMysqlUrl(`${base}?ssl-mode=REQUIRED`).ssl).toEqual({ rejectUnauthorized: false, verifyIdentity: false });
    expect(parseMysqlUrl(`${base}?ssl-mode=verify_ca&ssl-ca=${ca}`).ssl).toMatchObject({ rejectUnauthorized: true, verifyIdentity: false });
    expect(parseMysqlUrl(`${base}?ssl-mode=VERIFY_IDENTITY&ssl-ca=${ca}`).ssl).toMatchObject({ rejectUnauthorized: true, verifyIdentity: true, ca: expect.stringContaining('BEGIN') });
    expect(parseMysqlUrl(`${base}?ssl_mode=verify-full&ssl_ca=${ca}`).sslMode).toBe('VERIFY_IDENTITY');
  });

  it('refuses settings that would fall back to plaintext or cannot verify, naming the setting', () => {
    expect(() => parseMysqlUrl(`${base}?ssl-mode=PREFERRED`)).toThrow(/^PAYSYNC_TARGET_URL: ssl-mode=PREFERRED .*fall back to plaintext/);
    expect(() => parseMysqlUrl(`${base}?ssl-mode=VERIFY_IDENTITY`)).toThrow(/needs ssl-ca/);
    expect(() => parseMysqlUrl(`${base}?ssl-ca=${ca}`)).toThrow(/no ssl-mode/);
    expect(() => parseMysqlUrl(`${base}?ssl-mode=REQUIRED&ssl-ca=/nonexistent/ca.pem`, 'PAYSYNC_SOURCE_URL')).toThrow(/^PAYSYNC_SOURCE_URL: ssl-ca=\/nonexistent\/ca.pem cannot be read/);
  });
});
