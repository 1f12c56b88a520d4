import { deleteTopics, type Kafka } from '@paysync/kafka';
import { createPool, quoteIdent, type Pool } from '@paysync/postgres';
import { waitUntil } from '../test/support/wait';

async function withAdmin<T>(adminUrl: string, work: (admin: Pool) => Promise<T>): Promise<T> {
  const admin = createPool(adminUrl, { applicationName: 'paysync-demo-admin', max: 1 });
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/**
 * Drops the replication slots on `database`: a slot keeps WAL on the server for as long as it
 * exists, and pins its database against DROP. A walsender still on a slot is ended first.
 */
export function dropSlotsOf(adminUrl: string, database: string): Promise<void> {
  return withAdmin(adminUrl, async (admin) => {
    await admin.query('SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL', [database]);
    await waitUntil(`the walsenders of ${database} to end`, async () => {
      const { rows } = await admin.query('SELECT 1 FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL', [database]);
      return rows.length === 0;
    }, 10_000, 100);
    await admin.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1', [database]);
  });
}

/** An empty `database`, whatever an earlier run left in it (sessions are ended). */
export async function recreateDatabase(adminUrl: string, database: string): Promise<void> {
  await dropSlotsOf(adminUrl, database);
  await withAdmin(adminUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
  });
}

/** Deletes every topic whose name starts with `prefix` (those of earlier runs). */
export async function deleteTopicsStartingWith(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  let topics: string[];
  try {
    topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  } finally {
    await admin.disconnect();
  }
  await deleteTopics(kafka, topics);
}

/**
 * The registry keeps subjects after their topics are gone: deletes those starting with `prefix`,
 * soft then for good. A loaded registry answers an occasional 500 (its storage busy), so a delete
 * is retried until it answers; any other refusal is an error.
 */
export async function deleteRegistrySubjectsStartingWith(registryUrl: string, prefix: string): Promise<void> {
  const response = await fetch(`${registryUrl}/subjects`);
  if (!response.ok) throw new Error(`registry: GET /subjects answered ${response.status}`);
  const subjects = ((await response.json()) as string[]).filter((s) => s.startsWith(prefix));
  for (const subject of subjects) {
    for (const query of ['', '?permanent=true']) {
      const what = `registry: DELETE subject ${subject}${query}`;
      let refusal: string | undefined;
      await waitUntil(what, async () => {
        const deleted = await fetch(`${registryUrl}/subjects/${encodeURIComponent(subject)}${query}`, { method: 'DELETE' });
        if (deleted.status >= 500) throw new Error(`answered ${deleted.status}: ${await deleted.text()}`);
        if (!deleted.ok && deleted.status !== 404) refusal = `${what} answered ${deleted.status}: ${await deleted.text()}`;
        return true;
      }, 60_000, 500);
      if (refusal) throw new Error(refusal);
    }
  }
}
