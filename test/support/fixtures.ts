import { randomBytes } from 'node:crypto';
import { createKafka, deleteTopics, ensureTopics, type Kafka } from '@paysync/kafka';
import { createPool, quoteIdent, type Pool } from '@paysync/postgres';
import { stackAddresses } from './stack-addresses';

/** A name no other test (or earlier run) uses: lower-case, safe as a PG identifier and topic. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export interface ScratchDatabase {
  name: string;
  url: string;
  pool: Pool;
  /** Drops its replication slots, then the database itself. */
  drop(): Promise<void>;
}

/**
 * A PostgreSQL database of the test's own, removed by `drop()`: on the stack's server, or on the
 * server `adminUrl` names (a private cluster, see private-postgres.ts).
 */
export async function createScratchDatabase(prefix: string, adminUrl = stackAddresses().PAYSYNC_TEST_PG_URL): Promise<ScratchDatabase> {
  const name = uniqueName(prefix);
  const admin = createPool(adminUrl, { applicationName: 'paysync-test-admin', max: 1 });
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const pool = createPool(url, { applicationName: 'paysync-test', max: 4 });
  return {
    name,
    url,
    pool,
    drop: async () => {
      await pool.end();
      const cleaner = createPool(adminUrl, { applicationName: 'paysync-test-admin', max: 1 });
      try {
        // A slot pins its database; end any walsender still on it, then drop the slots.
        await cleaner.query('SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL', [name]);
        await cleaner.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1', [name]);
        await cleaner.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      } finally {
        await cleaner.end();
      }
    },
  };
}

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

/** A client of the stack's Kafka, or of `brokers` (a private broker). */
export function testKafka(brokers = stackAddresses().PAYSYNC_TEST_KAFKA_BROKERS): Kafka {
  return createKafka({ brokers: brokers.split(','), clientId: 'paysync-test', logger: quiet });
}

export interface ScratchTopics {
  names: string[];
  drop(): Promise<void>;
}

/** Topics of the test's own on the real broker, deleted by `drop()`. */
export async function createScratchTopics(kafka: Kafka, prefixes: string[], numPartitions = 1): Promise<ScratchTopics> {
  const names = prefixes.map((p) => uniqueName(p).replace(/_/g, '-'));
  await ensureTopics(kafka, names.map((topic) => ({ topic, numPartitions })));
  return { names, drop: () => deleteTopics(kafka, names) };
}
