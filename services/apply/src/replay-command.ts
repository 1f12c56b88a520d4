import { defineCommand, optional, SettingError, text } from '@paysync/config';
import { createLogger, onShutdownSignal } from '@paysync/observability';
import { lsnToBigInt } from '@paysync/postgres';
import { ReplayRun } from './replay/replay-run';
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
    let run: ReplayRun;
    try {
      run = new ReplayRun(
        config,
        logger,
        start,
        process.stderr,
        untilLsn === undefined && untilTimeMs === undefined
          ? undefined
          : (change) => (untilLsn !== undefined && change.version.lsn > untilLsn) || (untilTimeMs !== undefined && change.commitTimeMs > untilTimeMs),
      );
    } catch (err) {
      process.stderr.write(`paysync replay: ${(err as Error).message}\n`);
      return 2;
    }
    const { service, progress } = run;
    const removeHandlers = onShutdownSignal(logger, () => {
      progress.close();
      return service.stop();
    }, config.drainTimeoutMs);
    try {
      await run.catchUp();
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
