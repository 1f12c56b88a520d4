import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, kafkaSettings, loadConfig } from './index';

const dir = mkdtempSync(join(tmpdir(), 'paysync-security-settings-'));
const ca = join(dir, 'ca.crt');
const key = join(dir, 'client.key');
const password = join(dir, 'sasl-password');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
writeFileSync(password, 'hunter2-from-file\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = { PAYSYNC_KAFKA_BROKERS: 'b:9093', PAYSYNC_SCHEMA_REGISTRY_URL: 'https://registry:8443/apis/ccompat/v7' };

function problems(env: Record<string, string>): string {
  try {
    loadConfig(kafkaSettings, { env: { ...base, ...env } });
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return '';
}

describe('Kafka and registry security settings', () => {
  it('reads TLS, SASL (password from a _FILE) and registry auth', () => {
    const config = loadConfig(kafkaSettings, {
      env: { ...base, PAYSYNC_KAFKA_SSL: 'true', PAYSYNC_KAFKA_SSL_CA_FILE: ca, PAYSYNC_KAFKA_SASL_MECHANISM: 'scram-sha-512', PAYSYNC_KAFKA_SASL_USERNAME: 'capture', PAYSYNC_KAFKA_SASL_PASSWORD_FILE: password, PAYSYNC_SCHEMA_REGISTRY_TOKEN: 't0ken', PAYSYNC_SCHEMA_REGISTRY_CA_FILE: ca },
    });
    expect(config).toMatchObject({ kafkaSsl: true, kafkaSslCaFile: ca, kafkaSaslMechanism: 'scram-sha-512', kafkaSaslUsername: 'capture', kafkaSaslPassword: 'hunter2-from-file', schemaRegistryToken: 't0ken' });
  });

  it('names settings that need each other, never echoing a secret', () => {
    expect(problems({ PAYSYNC_KAFKA_SASL_MECHANISM: 'scram-sha-256', PAYSYNC_KAFKA_SASL_USERNAME: 'u' })).toContain('PAYSYNC_KAFKA_SASL_MECHANISM=scram-sha-256 needs PAYSYNC_KAFKA_SASL_PASSWORD');
    expect(problems({ PAYSYNC_KAFKA_SASL_PASSWORD: 'hunter2' })).toMatch(/PAYSYNC_KAFKA_SASL_MECHANISM is unset but PAYSYNC_KAFKA_SASL_PASSWORD is set/);
    expect(problems({ PAYSYNC_KAFKA_SASL_PASSWORD: 'hunter2' })).not.toContain('hunter2');
    expect(problems({ PAYSYNC_KAFKA_SSL_CA_FILE: ca })).toContain('PAYSYNC_KAFKA_SSL is false but PAYSYNC_KAFKA_SSL_CA_FILE is set');
    expect(problems({ PAYSYNC_KAFKA_SSL: 'true', PAYSYNC_KAFKA_SSL_KEY_FILE: key })).toContain('PAYSYNC_KAFKA_SSL_CERT_FILE and PAYSYNC_KAFKA_SSL_KEY_FILE go together');
    expect(problems({ PAYSYNC_SCHEMA_REGISTRY_USERNAME: 'u', PAYSYNC_SCHEMA_REGISTRY_TOKEN: 'secret-token' })).toContain('use basic auth or a bearer token, not both');
    expect(problems({ PAYSYNC_KAFKA_SASL_MECHANISM: 'gssapi' })).toContain('must be one of: plain, scram-sha-256, scram-sha-512');
  });

  it('checks that certificate files exist and hold what they should', () => {
    expect(problems({ PAYSYNC_KAFKA_SSL: 'true', PAYSYNC_KAFKA_SSL_CA_FILE: join(dir, 'nope.crt') })).toMatch(/PAYSYNC_KAFKA_SSL_CA_FILE=".*nope.crt" names a file that cannot be read \(ENOENT\)/);
    expect(problems({ PAYSYNC_KAFKA_SSL: 'true', PAYSYNC_KAFKA_SSL_CA_FILE: key })).toContain('names a file that holds no PEM certificate');
    // A key file's path is not echoed either: the setting is secret.
    expect(problems({ PAYSYNC_KAFKA_SSL: 'true', PAYSYNC_KAFKA_SSL_CERT_FILE: ca, PAYSYNC_KAFKA_SSL_KEY_FILE: ca })).toMatch(/PAYSYNC_KAFKA_SSL_KEY_FILE=\(secret value hidden\) names a file that holds no PEM private key/);
  });
});
