import { SettingError } from '@paysync/config';
import type { Queryable } from '@paysync/postgres';
import { BOOKKEEPING_SCHEMA } from '../snapshot/bookkeeping-table';
import { PROGRESS_TABLE } from '../snapshot/snapshot-progress';

/** What capture does with its slot at start. */
export type SlotPlan = 'use' | 'create' | 'recreate';

/**
 * A missing slot is normal at a first start. For a capture that has captured before (its snapshot
 * progress rows are there), a missing slot, or one PostgreSQL invalidated (wal_status = lost, past
 * max_slot_wal_keep_size), means the WAL since the last confirmed position is gone: a new slot
 * streaming on would leave a silent gap. So capture stops, unless told to re-snapshot every table
 * from a new slot (apply's version guard makes the re-sent rows harmless).
 */
export async function planSlot(db: Queryable, slot: string, resnapshotOnSlotLoss: boolean): Promise<SlotPlan> {
  const { rows } = await db.query<{ wal_status: string | null; slot_found: string; progress_table: string }>(
    `SELECT (SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1) AS wal_status,
            EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = $1) AS slot_found,
            to_regclass($2) IS NOT NULL AS progress_table`,
    [slot, `${BOOKKEEPING_SCHEMA}.${PROGRESS_TABLE}`],
  );
  const state = rows[0];
  const lost = state.wal_status === 'lost';
  if (state.slot_found === 't' && !lost) return 'use';
  const capturedBefore = state.progress_table === 't' && (await hasProgress(db, slot));
  if (!lost && !capturedBefore) return 'create';
  if (resnapshotOnSlotLoss) return 'recreate';
  const what = lost ? `was invalidated by PostgreSQL (wal_status = lost: it fell behind max_slot_wal_keep_size)` : 'is missing (dropped?)';
  throw new SettingError(
    ['PAYSYNC_SLOT', 'PAYSYNC_RESNAPSHOT_ON_SLOT_LOSS'],
    `replication slot "${slot}" ${what}, but this capture has captured from it before, so the changes since its last confirmed position are gone from the WAL; a new slot streaming on would leave a gap`,
    'Set PAYSYNC_RESNAPSHOT_ON_SLOT_LOSS=true to create the slot again and snapshot every table anew (rows deleted meanwhile are not seen: run the reconciler with PAYSYNC_RECONCILE_REPAIR=true afterwards), or rebuild the targets from a new slot and topic prefix.',
  );
}

async function hasProgress(db: Queryable, slot: string): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM ${BOOKKEEPING_SCHEMA}.${PROGRESS_TABLE} WHERE slot_name = $1 LIMIT 1`, [slot]);
  return rows.length > 0;
}
