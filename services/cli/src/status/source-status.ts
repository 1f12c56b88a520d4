import { recentSnapshotRequests } from '@paysync/capture';
import type { Queryable } from '@paysync/postgres';

/** One logical slot as the source sees it. */
export interface SlotStatus {
  slot: string;
  plugin: string;
  /** A walsender reads the slot now (a capture replica streams it). */
  active: boolean;
  /** That walsender's backend pid. */
  activePid: number | null;
  /** reserved, extended, unreserved or lost (PostgreSQL 13+): lost means the slot can no longer stream. */
  walStatus: string | null;
  confirmedLsn: string | null;
  /** WAL written since the position capture confirmed (Kafka acknowledged everything before it). */
  unconfirmedBytes: number | null;
  /** WAL the source keeps for this slot. */
  retainedWalBytes: number | null;
  /** The walsender's flush lag: how long ago the WAL capture confirmed last was written (null when unknown or idle). */
  lagSeconds: number | null;
}

export interface SnapshotRequestStatus {
  id: string;
  slot: string;
  table: string;
  where: string | null;
  state: string;
  rowsSent: number;
  error: string | null;
  requestedAt: string;
  finishedAt: string | null;
}

export interface SourceStatus {
  walLevel: string;
  slots: SlotStatus[];
  snapshotRequests: SnapshotRequestStatus[];
}

/** Finished snapshot requests shown beside the unfinished ones (all of those are). */
const FINISHED_REQUESTS_SHOWN = 10;

const nullableNumber = (v: string | null) => (v === null ? null : Number(v));

/** The replication state of the source: wal_level, each logical slot (or only `slot`), the snapshot requests. */
export async function readSourceStatus(db: Queryable, slot: string | undefined): Promise<SourceStatus> {
  const { rows: level } = await db.query<{ wal_level: string }>('SHOW wal_level');
  const { rows: slots } = await db.query<Record<string, string | null>>(
    `SELECT s.slot_name, s.plugin, s.active, s.active_pid, s.wal_status, s.confirmed_flush_lsn,
            pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn) AS unconfirmed_bytes,
            pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn) AS retained_wal_bytes,
            extract(epoch FROM r.flush_lag) AS lag_seconds
       FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
      WHERE s.slot_type = 'logical' AND ($1::text IS NULL OR s.slot_name = $1)
      ORDER BY s.slot_name`,
    [slot ?? null],
  );
  const requests = await recentSnapshotRequests(db, slot, FINISHED_REQUESTS_SHOWN);
  return {
    walLevel: level[0]?.wal_level ?? 'unknown',
    slots: slots.map((s) => ({
      slot: String(s.slot_name),
      plugin: String(s.plugin),
      active: s.active === 't' || (s.active as unknown) === true,
      activePid: nullableNumber(s.active_pid),
      walStatus: s.wal_status,
      confirmedLsn: s.confirmed_flush_lsn,
      unconfirmedBytes: nullableNumber(s.unconfirmed_bytes),
      retainedWalBytes: nullableNumber(s.retained_wal_bytes),
      lagSeconds: nullableNumber(s.lag_seconds),
    })),
    snapshotRequests: requests.map((r) => ({
      id: r.id,
      slot: r.slot,
      table: r.table,
      where: r.predicate,
      state: r.state,
      rowsSent: r.rowsSent,
      error: r.error,
      requestedAt: r.requestedAt,
      finishedAt: r.finishedAt,
    })),
  };
}
