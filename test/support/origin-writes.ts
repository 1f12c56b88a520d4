import { lsnToBigInt, type Pool } from '@paysync/postgres';

/**
 * Runs each statement as its own transaction in a session marked with the replication origin, as
 * apply marks its writes. Answers the WAL insert position inside the last one, just before its
 * commit record: a slot confirmed past it has passed that transaction.
 */
export async function writeUnderOrigin(pool: Pool, origin: string, statements: string[]): Promise<bigint> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_replication_origin_session_setup($1)', [origin]);
    for (const statement of statements.slice(0, -1)) await client.query(statement);
    await client.query('BEGIN');
    await client.query(statements[statements.length - 1]);
    const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn() AS lsn');
    await client.query('COMMIT');
    return lsnToBigInt(rows[0].lsn);
  } finally {
    await client.query('SELECT pg_replication_origin_session_reset()').catch(() => undefined);
    client.release();
  }
}
