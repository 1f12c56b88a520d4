import { defineCommand, optional, sourceSettings, text } from '@paysync/config';
import { checkPostgresAccess, createPool } from '@paysync/postgres';

const statusSettings = {
  sourceUrl: sourceSettings.sourceUrl,
  slot: optional(text('PAYSYNC_SLOT', { description: 'Only this replication slot (all logical slots when unset).', example: 'paysync' })),
};

/** Replication health of a source at a glance: the WAL level and each logical slot's lag and retained WAL. */
export const statusCommand = defineCommand({
  name: 'status',
  summary: 'Show the source\'s replication state: wal_level and each logical slot (active, confirmed LSN, retained WAL).',
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
      process.stdout.write(`${JSON.stringify({ wal_level: level[0]?.wal_level, slots }, null, 2)}\n`);
      return 0;
    } finally {
      await pool.end();
    }
  },
});
