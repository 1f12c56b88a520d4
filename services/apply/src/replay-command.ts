import { defineCommand, optional, SettingError, text } from '@paysync/config';
import { checkKafkaAccess, offsetsAtTime, partitionOffsets } from '@paysync/kafka';
import { createLogger, onShutdownSignal } from '@paysync/observability';
import { lsnToBigInt } from '@paysync/postgres';
import { ApplyService } from './apply-service';
import { ReplayProgress } from './replay/replay-progress';
import { parseReplayStart, type ReplayStart } from './replay/replay-start';
import { applySettings } from './settings';

export const replaySettings = {
  ...applySettings,
  replayFrom: text('PAYSYNC_REPLAY_FROM', {
    description: 'Where replay starts: earliest, an ISO-8601 time, or offsets as topic:partition:offset,... (other partitions from earliest).',
    default: 'earliest',
  }),
  replayUntilLsn: optional(
    text('PAYSYNC_REPLAY_UNTIL_LSN', { description: 'Replay stops before the first change committed after this source LSN.', example: '0/16B6C50', pattern: /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/, patternText: 'an LSN like 0/16B6C50' }),
  ),
  replayUntilTime: optional(
    text('PAYSYNC_REPLAY_UNTIL_TIME', { description: 'Replay stops before the first change committed after this ISO-8601 time.', example: '2026-11-23T12:00:00Z' }),
  ),
};

export const replayCommand = defineCommand({
  name: 'replay',
  summary: 'Rebuild a replica from the topics (from earliest, a time or offsets), then print a summary.',
  usage: 'Runs the apply code path from the chosen start until each partition is caught up (or past the bound), then exits 0.',
  settings: replaySettings,
  run: async (config) => {
    const logger = createLogger({ service: 'replay', level: config.logLevel === 'info' ? 'warn' : config.logLevel });
    let start: ReplayStart;
    let untilTimeMs: number | undefined;
    try {
      start = parseReplayStart(config.replayFrom);
      untilTimeMs = config.replayUntilTime === undefined ? undefined : Date.parse(config.replayUntilTime);
      if (Number.isNaN(untilTimeMs)) throw new Error(`PAYSYNC_REPLAY_UNTIL_TIME: "${config.replayUntilTime}" is not an ISO-8601 time`);
    } catch (err) {
      process.stderr.write(`paysync replay: ${(err as Error).message}\n`);
      return 2;
    }
    const untilLsn = config.replayUntilLsn === undefined ? undefined : lsnToBigInt(config.replayUntilLsn);
    const progress = new ReplayProgress(process.stderr);
    let service: ApplyService;
    try {
      service = new ApplyService(config, logger, {
        http: false,
        stopBefore:
          untilLsn === undefined && untilTimeMs === undefined
            ? undefined
            : (change) => (untilLsn !== undefined && change.version.lsn > untilLsn) || (untilTimeMs !== undefined && change.commitTimeMs > untilTimeMs),
        onBatch: (topic, partition, outcome) => progress.batch(topic, partition, outcome),
      });
    } catch (err) {
      process.stderr.write(`paysync replay: ${(err as Error).message}\n`);
      return 2;
    }
    const removeHandlers = onShutdownSignal(logger, () => service.stop());
    try {
      await checkKafkaAccess(config);
      // Start positions and the end (each partition's high watermark now) are fixed before consuming.
      for (const topic of service.topics) {
        const bounds = await partitionOffsets(service.kafka, topic);
        const atTime = start.kind === 'time' ? await offsetsAtTime(service.kafka, topic, start.timeMs) : [];
        for (const { partition, low, high } of bounds) {
          const given = start.kind === 'offsets' ? start.offsets.get(`${topic}:${partition}`) : atTime.find((o) => o.partition === partition)?.offset;
          progress.partition(topic, partition, given ?? low, high);
        }
      }
      await service.target.prepare(service.targetNames);
      await resetStoredOffsets(service, config.groupId, progress.starts());
      progress.begin();
      await service.start();
      await Promise.race([progress.caughtUp(() => service.applyLoop?.finished ?? new Set()), service.failed]);
      await service.stop();
      progress.summary(service.deadLetterTopic);
      return 0;
    } catch (err) {
      logger.fatal({ err }, 'replay failed');
      process.stderr.write(`paysync replay: ${(err as Error).message}\n`);
      await service.stop().catch(() => undefined);
      return err instanceof SettingError ? 2 : 1;
    } finally {
      progress.close();
      removeHandlers();
    }
  },
});

/** The group's offsets in the target are set to the replay's start, so the same code path resumes from there. */
async function resetStoredOffsets(service: ApplyService, groupId: string, starts: { topic: string; partition: number; offset: bigint }[]): Promise<void> {
  const tx = await service.target.begin();
  try {
    for (const { topic, partition, offset } of starts) {
      await tx.lockOffset(groupId, topic, partition);
      await tx.saveOffset(groupId, topic, partition, offset);
    }
    await tx.commit();
  } catch (err) {
    await tx.rollback();
    throw err;
  }
}
