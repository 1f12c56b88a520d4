import { inTransaction, lsnToBigInt, type Pool } from '@paysync/postgres';

/**
 * A committed transaction as PostgreSQL saw it, for checking an event's version without paysync:
 * its xid, and bounds of its WAL positions and commit time.
 */
export interface Committed {
  /** The 32-bit xid pgoutput sends: the low half of the epoch-extended one. */
  txId: string;
  /** Its change records lie between `startLsn` (the insert position before its first write) and `lsnFrom`. */
  startLsn: bigint;
  /** Its commit record starts at or after `lsnFrom` (the insert position just before COMMIT) and before `lsnTo`. */
  lsnFrom: bigint;
  lsnTo: bigint;
  /** Its commit time lies between its start (now()) and a clock read after COMMIT returned, in microseconds since 1970. */
  startedUs: bigint;
  committedUs: bigint;
}

const EPOCH_MICROS = (expr: string): string => `floor(extract(epoch FROM ${expr}) * 1000000)::bigint::text`;

/** Runs `sql` as one transaction and tells what PostgreSQL knows of it (other sessions write WAL meanwhile: bounds, not values). */
export async function committed(pool: Pool, sql: string): Promise<Committed> {
  const inside = await inTransaction(pool, async (client) => {
    const { rows: started } = await client.query<{ xid: string; lsn: string; us: string }>(
      `SELECT (pg_current_xact_id()::text::bigint % 4294967296)::text AS xid, pg_current_wal_insert_lsn()::text AS lsn, ${EPOCH_MICROS('now()')} AS us`,
    );
    await client.query(sql);
    const { rows: written } = await client.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    return { ...started[0], lsnFrom: lsnToBigInt(written[0].lsn) };
  });
  const { rows: after } = await pool.query<{ lsn: string; us: string }>(`SELECT pg_current_wal_insert_lsn()::text AS lsn, ${EPOCH_MICROS('clock_timestamp()')} AS us`);
  return {
    txId: inside.xid,
    startLsn: lsnToBigInt(inside.lsn),
    lsnFrom: inside.lsnFrom,
    lsnTo: lsnToBigInt(after[0].lsn),
    startedUs: BigInt(inside.us),
    committedUs: BigInt(after[0].us),
  };
}

export async function insertLsn(pool: Pool): Promise<bigint> {
  const { rows } = await pool.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
  return lsnToBigInt(rows[0].lsn);
}
