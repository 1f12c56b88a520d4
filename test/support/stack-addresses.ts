import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the real services of the test stack answer. */
export interface StackAddresses {
  PAYSYNC_TEST_PG_URL: string;
  PAYSYNC_TEST_MYSQL_URL: string;
  PAYSYNC_TEST_KAFKA_BROKERS: string;
  PAYSYNC_TEST_REGISTRY_URL: string;
}

export const STACK_KEYS = ['PAYSYNC_TEST_PG_URL', 'PAYSYNC_TEST_MYSQL_URL', 'PAYSYNC_TEST_KAFKA_BROKERS', 'PAYSYNC_TEST_REGISTRY_URL'] as const;

export const STACK_ENV_FILE = join(__dirname, '..', '..', '.stack', 'env');

export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match) values[match[1]] = match[2].trim().replace(/^"(.*)"$/, '$1');
  }
  return values;
}

/**
 * The TLS and authenticated endpoints `npm run stack:up` adds beside the plaintext ones. Kept apart
 * from StackAddresses: other setups (testcontainers) offer only the plaintext ones.
 */
export interface SecureStackAddresses {
  /** The stack's private CA, a PEM file (absolute path). */
  PAYSYNC_TEST_CA_FILE: string;
  /** A client certificate and key (PEM) the CA signed, for mutual TLS. */
  PAYSYNC_TEST_CLIENT_CERT_FILE: string;
  PAYSYNC_TEST_CLIENT_KEY_FILE: string;
  /** Kafka's SASL_SSL listener (SCRAM-SHA-512) and its user. */
  PAYSYNC_TEST_KAFKA_SECURE_BROKERS: string;
  PAYSYNC_TEST_KAFKA_SASL_USERNAME: string;
  PAYSYNC_TEST_KAFKA_SASL_PASSWORD: string;
  /** Kafka's SSL listener that requires a client certificate. */
  PAYSYNC_TEST_KAFKA_MTLS_BROKERS: string;
  /** PostgreSQL with sslmode=verify-full against the CA (127.0.0.2 answers too, with a certificate not naming it). */
  PAYSYNC_TEST_PG_TLS_URL: string;
  /** MariaDB user that the server accepts over TLS only. */
  PAYSYNC_TEST_MYSQL_TLS_URL: string;
  /** The registry over https, behind basic auth. */
  PAYSYNC_TEST_REGISTRY_SECURE_URL: string;
  PAYSYNC_TEST_REGISTRY_USERNAME: string;
  PAYSYNC_TEST_REGISTRY_PASSWORD: string;
}

export const SECURE_STACK_KEYS = [
  'PAYSYNC_TEST_CA_FILE',
  'PAYSYNC_TEST_CLIENT_CERT_FILE',
  'PAYSYNC_TEST_CLIENT_KEY_FILE',
  'PAYSYNC_TEST_KAFKA_SECURE_BROKERS',
  'PAYSYNC_TEST_KAFKA_SASL_USERNAME',
  'PAYSYNC_TEST_KAFKA_SASL_PASSWORD',
  'PAYSYNC_TEST_KAFKA_MTLS_BROKERS',
  'PAYSYNC_TEST_PG_TLS_URL',
  'PAYSYNC_TEST_MYSQL_TLS_URL',
  'PAYSYNC_TEST_REGISTRY_SECURE_URL',
  'PAYSYNC_TEST_REGISTRY_USERNAME',
  'PAYSYNC_TEST_REGISTRY_PASSWORD',
] as const;

/** Every key given in the environment or else in .stack/env; undefined when any is missing. */
function readKeys<K extends string>(keys: readonly K[], env: NodeJS.ProcessEnv): Record<K, string> | undefined {
  const fromFile = existsSync(STACK_ENV_FILE) ? parseEnvFile(readFileSync(STACK_ENV_FILE, 'utf8')) : {};
  const merged: Partial<Record<K, string>> = {};
  for (const key of keys) {
    const value = env[key] || fromFile[key];
    if (!value) return undefined;
    merged[key] = value;
  }
  return merged as Record<K, string>;
}

/** Addresses given in the environment win; then those `npm run stack:up` wrote to .stack/env. */
export function addressesFromEnvironment(env: NodeJS.ProcessEnv = process.env): StackAddresses | undefined {
  return readKeys(STACK_KEYS, env);
}

/** The secure endpoints, read the same way; undefined unless all are there. */
export function secureAddressesFromEnvironment(env: NodeJS.ProcessEnv = process.env): SecureStackAddresses | undefined {
  return readKeys(SECURE_STACK_KEYS, env);
}

/** Read inside a test worker, after global setup put the addresses into the environment. */
export function stackAddresses(): StackAddresses {
  const addresses = addressesFromEnvironment();
  if (!addresses) throw new Error('The test stack addresses are missing: run `npm run stack:up` (see README).');
  return addresses;
}

/** The secure endpoints, for tests of TLS and authentication; only `npm run stack:up` provides them. */
export function secureStackAddresses(): SecureStackAddresses {
  const addresses = secureAddressesFromEnvironment();
  if (!addresses) {
    throw new Error(`The secure test stack addresses are missing (${SECURE_STACK_KEYS.join(', ')}): run \`npm run stack:up\` (see README).`);
  }
  return addresses;
}
