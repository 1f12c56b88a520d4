import type { Logger } from '@paysync/observability';
import type { Pool } from '@paysync/postgres';
import type { CaptureMetrics } from '../capture-metrics';
import { HEARTBEAT_PREFIX } from './change-processor';

/** A heartbeat in the WAL, so an idle slot keeps advancing (its confirmation moves the slot on). */
export async function emitHeartbeat(pool: Pool, logger: Logger): Promise<void> {
  try {
    await pool.query('SELECT pg_logical_emit_message(false, $1, $2)', [HEARTBEAT_PREFIX, String(Date.now())]);
  } catch (err) {
    logger.warn({ err }, 'heartbeat failed');
  }
}

/** How much WAL the source keeps for the slot, into paysync_capture_retained_wal_bytes. */
export async function measureRetainedWal(pool: Pool, slot: string, metrics: CaptureMetrics, logger: Logger): Promise<void> {
  try {
    const { rows } = await pool.query<{ retained: string | null }>(
      'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) AS retained FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    if (rows[0]?.retained != null) metrics.retainedWalBytes.set(Number(rows[0].retained));
  } catch (err) {
    logger.warn({ err }, 'could not read the slot\'s retained WAL');
  }
}
