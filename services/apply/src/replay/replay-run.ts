import { checkKafkaAccess, offsetsAtTime, partitionOffsets } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';
import { ApplyService, type ApplyConfig } from '../apply-service';
import type { Change } from '../changes/row-change';
import { ReplayProgress } from './replay-progress';
import type { ReplayStart } from './replay-start';

/**
 * A rebuild from the topics, as `paysync replay` and `paysync drill` run it: each partition's end
 * is fixed first (its high watermark then), the group's offsets in the target are set to the
 * start, and apply's own code path runs until every partition reached its end or the bound.
 */
export class ReplayRun {
  readonly service: ApplyService;
  readonly progress: ReplayProgress;

  /** Throws on settings the service refuses (a SettingError names the setting). */
  constructor(
    private readonly config: ApplyConfig,
    logger: Logger,
    private readonly start: ReplayStart,
    out: NodeJS.WriteStream,
    stopBefore?: (change: Change) => boolean,
  ) {
    const progress = new ReplayProgress(out);
    this.progress = progress;
    this.service = new ApplyService(config, logger, { http: false, stopBefore, onBatch: (topic, partition, outcome) => progress.batch(topic, partition, outcome) });
  }

  /** Resolves once caught up; apply keeps running until `service.stop()`. */
  async catchUp(): Promise<void> {
    const { service, progress, start } = this;
    await checkKafkaAccess(this.config);
    for (const topic of service.topics) {
      const bounds = await partitionOffsets(service.kafka, topic);
      const atTime = start.kind === 'time' ? await offsetsAtTime(service.kafka, topic, start.timeMs) : [];
      for (const { partition, low, high } of bounds) {
        const given = start.kind === 'offsets' ? start.offsets.get(`${topic}:${partition}`) : atTime.find((o) => o.partition === partition)?.offset;
        progress.partition(topic, partition, given ?? low, high);
      }
    }
    await service.target.prepare(service.targetNames);
    await this.resetStoredOffsets(progress.starts());
    progress.begin();
    await service.start();
    await Promise.race([progress.caughtUp(() => service.applyLoop?.finished ?? new Set()), service.failed]);
  }

  /** The group's offsets in the target are set to the replay's start, so the same code path resumes from there. */
  private async resetStoredOffsets(starts: { topic: string; partition: number; offset: bigint }[]): Promise<void> {
    const tx = await this.service.target.begin();
    try {
      for (const { topic, partition, offset } of starts) {
        await tx.lockOffset(this.config.groupId, topic, partition);
        await tx.saveOffset(this.config.groupId, topic, partition, offset);
      }
      await tx.commit();
    } catch (err) {
      await tx.rollback();
      throw err;
    }
  }
}
