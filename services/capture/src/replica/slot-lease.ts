import type { Queryable, ReplicationSession } from '@paysync/postgres';

/** The advisory lock's first key; the second is the slot's name hashed, so each slot has its own lease. */
const LEASE = 'paysync.capture.lease';

/**
 * Which replica of a slot may stream it: the one whose replication connection holds this session
 * advisory lock. It is taken on the replication connection itself, before START_REPLICATION, so it
 * lasts exactly as long as that connection does. PostgreSQL ends the connection of a dead replica
 * at once (its socket closes) and of a silent one after wal_sender_timeout, which frees the lease
 * and the slot together; a standby can only take over then. The slot alone (SQLSTATE 55006 for a
 * second reader) would leave a window between a standby's decision and its START_REPLICATION, in
 * which two replicas could both prepare to stream; and the Kafka producer is only created by the
 * lease holder, so two replicas never fence each other back and forth.
 *
 * Returns the replication connection's backend pid when the lease is ours, undefined when another
 * replica holds it.
 */
export async function claimSlotLease(session: ReplicationSession, slot: string): Promise<number | undefined> {
  // Simple protocol on a replication connection: no parameters, so the slot is a quoted literal.
  const literal = `'${slot.replace(/'/g, "''")}'`;
  const [row] = await session.query(`SELECT pg_try_advisory_lock(hashtext('${LEASE}'), hashtext(${literal})) AS claimed, pg_backend_pid() AS pid`);
  return row.claimed === 't' ? Number(row.pid) : undefined;
}

/** The backend pid holding the slot's lease, or undefined when it is free. */
export async function slotLeaseHolder(db: Queryable, slot: string): Promise<number | undefined> {
  const { rows } = await db.query<{ pid: string }>(
    `SELECT pid FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND objsubid = 2
        AND classid = (hashtext($1)::bigint & 4294967295)::oid AND objid = (hashtext($2)::bigint & 4294967295)::oid
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [LEASE, slot],
  );
  return rows.length > 0 ? Number(rows[0].pid) : undefined;
}

/** The source's wal_sender_timeout for this session, in ms (0: none). */
export async function walSenderTimeoutMs(session: ReplicationSession): Promise<number> {
  const [row] = await session.query(`SELECT setting::bigint * CASE unit WHEN 's' THEN 1000 ELSE 1 END AS ms FROM pg_settings WHERE name = 'wal_sender_timeout'`);
  return Number(row?.ms ?? 0);
}
