import { SettingError } from '@paysync/config';
import type { Queryable } from '@paysync/postgres';

/**
 * pgoutput takes the origin option from PostgreSQL 16 on; an older server refuses
 * START_REPLICATION with it, which would end every streaming term alike: said once, at start.
 */
export async function checkOriginFilter(db: Queryable): Promise<void> {
  const { rows } = await db.query<{ version: string; num: string }>(`SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num`);
  if (Number(rows[0].num) >= 160000) return;
  throw new SettingError(
    ['PAYSYNC_SKIP_ORIGINS_AT_SOURCE'],
    `the source runs PostgreSQL ${rows[0].version}, whose pgoutput has no origin option (PostgreSQL 16 or later)`,
    'Set PAYSYNC_SKIP_ORIGINS_AT_SOURCE=false: capture then drops paysync apply\'s transactions itself (PAYSYNC_SKIP_APPLIED_CHANGES).',
  );
}
