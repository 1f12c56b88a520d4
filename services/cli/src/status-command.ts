import { recentSnapshotRequests } from '@paysync/capture';
import { defineCommand, optional, sourceSettings, text } from '@paysync/config';
import { checkPostgresAccess, createPool } from '@paysync/postgres';

const statusSettings = {
  sourceUrl: sourceSettings.sourceUrl,
  slot: optional(text('PAYSYNC_SLOT', { description: 'Only this replication slot (all logical slots when unset).', example: 'paysync' })),
};

/** Finished snapshot requests shown beside the unfinished ones (all of those are). */
const FINISHED_REQUESTS_SHOWN = 10;

/** Replication health of a source at a glance: the WAL level, each logical slot's lag and retained WAL, and the snapshot requests. */
export const statusCommand = defineCommand({
  name: 'status',
  summary: 'Show the source\'s replication state: wal_level, each logical slot (active, confirmed LSN, retained WAL) and the snapshot requests (paysync snapshot).',
  settings: statusSettings,
  run: async (config) => {
    const pool = createPool(config.sourceUrl, { applicationName: 'paysync-status', max: 1 });
    try {
      await checkPostgresAccess(pool, config.sourceUrl, 'PAYSYNC_SOURCE_URL');
      const { rows: level } = await pool.query<{ wal_level: string }>('SHOW wal_level');
      const { rows: slots } = await pool.query<Record<string, string | null>>(
        `SELECT slot_name, plugin, active, confirmed_flush_lsn,
                pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) AS retained_wal_bytes,
                pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) AS unconfirmed_bytes
           FROM pg_replication_slots
          WHERE slot_type = 'logical' AND ($1::text IS NULL OR slot_name = $1)
          ORDER BY slot_name`,
        [config.slot ?? null],
      );
      const requests = (await recentSnapshotRequests(pool, config.slot, FINISHED_REQUESTS_SHOWN)).map((r) => ({
        id: r.id,
        slot_name: r.slot,
        table: r.table,
        where: r.predicate,
        state: r.state,
        rows_sent: r.rowsSent,
        error: r.error,
        requested_at: r.requestedAt,
        finished_at: r.finishedAt,
      }));
      process.stdout.write(`${JSON.stringify({ wal_level: level[0]?.wal_level, slots, snapshot_requests: requests }, null, 2)}\n`);
      return 0;
    } finally {
      await pool.end();
    }
  },
});
