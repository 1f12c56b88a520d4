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

/** Addresses given in the environment win; then those `npm run stack:up` wrote to .stack/env. */
export function addressesFromEnvironment(env: NodeJS.ProcessEnv = process.env): StackAddresses | undefined {
  const fromFile = existsSync(STACK_ENV_FILE) ? parseEnvFile(readFileSync(STACK_ENV_FILE, 'utf8')) : {};
  const merged: Partial<StackAddresses> = {};
  for (const key of STACK_KEYS) {
    const value = env[key] || fromFile[key];
    if (!value) return undefined;
    merged[key] = value;
  }
  return merged as StackAddresses;
}

/** Read inside a test worker, after global setup put the addresses into the environment. */
export function stackAddresses(): StackAddresses {
  const addresses = addressesFromEnvironment();
  if (!addresses) throw new Error('The test stack addresses are missing: run `npm run stack:up` (see README).');
  return addresses;
}
