import type { Logger } from '@paysync/observability';
import type { Target } from '../targets/target';

/** Markers deleted per statement: each statement is a short transaction that locks no more than this. */
export const PURGE_BATCH = 1000;

export interface DeleteMarkerPurgeOptions {
  target: Pick<Target, 'purgeDeleteMarkers'>;
  /** Markers written longer ago than this go (PAYSYNC_DELETE_MARKER_RETENTION_MS, > 0). */
  retentionMs: number;
  /** Pause between rounds (PAYSYNC_DELETE_MARKER_PURGE_INTERVAL_MS). */
  intervalMs: number;
  logger: Logger;
  onPurged: (count: number) => void;
  batch?: number;
}

/**
 * Apply's retention of delete markers (why it is safe: docs/backups.md, "Delete-marker
 * retention"): every interval, batches of expired markers are deleted until a batch comes back
 * short. A failed round is logged and the next one tries again; rounds never overlap.
 */
export class DeleteMarkerPurge {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: DeleteMarkerPurgeOptions) {}

  start(): void {
    this.schedule();
  }

  /** One round now: answers how many markers it purged. */
  async purge(): Promise<number> {
    const { target, retentionMs, logger, onPurged } = this.options;
    const batch = this.options.batch ?? PURGE_BATCH;
    let total = 0;
    try {
      for (let purged = batch; purged === batch && !this.stopped; ) {
        purged = await target.purgeDeleteMarkers(retentionMs, batch);
        total += purged;
        if (purged > 0) onPurged(purged);
      }
      if (total > 0) logger.info({ purged: total, retentionMs }, 'delete markers purged');
    } catch (err) {
      logger.warn({ err, purged: total }, 'purging delete markers failed; the next round tries again');
    }
    return total;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.purge().then(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }
}
