import type { Logger } from '@paysync/observability';
import type { Pool } from '@paysync/postgres';
import type { CaptureConfig } from '../capture-service';
import { SnapshotProgress } from '../snapshot/snapshot-progress';
import { SnapshotRequests } from '../snapshot/snapshot-requests';
import { ensureReplicationSetup } from './replication-setup';
import { withStartupLock } from './startup-lock';

/**
 * What a streaming term does to the source before it streams: the publication, the slot and
 * capture's bookkeeping tables (under the start-up lock), and forgetting the snapshot progress
 * of tables that must be copied anew (all of them with a new slot, else the ones just added).
 */
export async function prepareSource(pool: Pool, config: CaptureConfig, logger: Logger): Promise<SnapshotProgress> {
  const setup = await withStartupLock(pool, async (db) => {
    const made = await ensureReplicationSetup(db, config);
    await new SnapshotProgress(db, config.slot).ensureTable();
    await new SnapshotRequests(db, config.slot).ensureTable();
    return made;
  });
  const progress = new SnapshotProgress(pool, config.slot);
  if (setup.slotCreated) await progress.restart(config.tables);
  else if (setup.tablesAdded.length > 0) await progress.restart(setup.tablesAdded);
  if (setup.slotRecreated) logger.warn({ slot: config.slot }, 'the slot was lost after capturing: created it again, every table is snapshotted anew (PAYSYNC_RESNAPSHOT_ON_SLOT_LOSS)');
  logger.info({ slot: config.slot, publication: config.publication, slotCreated: setup.slotCreated, tablesAdded: setup.tablesAdded }, 'source ready');
  return progress;
}
