import type { Pool, Queryable } from '@paysync/postgres';

/** Names the advisory lock every capture of a database takes around its start-up DDL. */
const STARTUP_LOCK = 'paysync.capture.startup';

/**
 * Runs capture's start-up DDL (publication, slot, progress table) on one connection holding a
 * session advisory lock of this database. Checking for an object and creating it are two steps:
 * two captures starting at the same moment (replicas of one slot, or captures of different slots)
 * would both find it missing, and the second CREATE would fail on a duplicate catalog key. Under
 * the lock the second one finds what the first made. A session lock, not a transaction's, because
 * a logical slot cannot be created in a transaction that has written (the publication); a start
 * waiting for the lock holds no transaction id, so it never delays the other's slot creation.
 */
export async function withStartupLock<T>(pool: Pool, work: (db: Queryable) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [STARTUP_LOCK]);
    try {
      return await work(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [STARTUP_LOCK]).catch((err: Error) => (broken = err));
    }
  } finally {
    // A connection whose unlock failed may still hold the lock: it is closed, never reused.
    client.release(broken);
  }
}
