import { ConfigError, defineCommand, SettingError } from '@paysync/config';
import { createLogger, runUntilSignal } from '@paysync/observability';
import { CaptureService } from './capture-service';
import { PreflightError } from './startup/preflight-problem';
import { captureSettings } from './settings';

export const captureCommand = defineCommand({
  name: 'capture',
  summary: 'Stream changes of the configured PostgreSQL tables into Kafka (snapshot first).',
  settings: captureSettings,
  run: async (config) => {
    const logger = createLogger({ service: 'capture', level: config.logLevel });
    const service = new CaptureService(config, logger);
    try {
      return await runUntilSignal(logger, service, config.drainTimeoutMs);
    } catch (err) {
      logger.fatal({ err }, 'capture failed');
      // Start-up problems are for a person to fix: also say them plainly, with their fixes.
      if (err instanceof PreflightError || err instanceof ConfigError || err instanceof SettingError) process.stderr.write(`paysync capture: ${err.message}\n`);
      return err instanceof ConfigError || err instanceof SettingError ? 2 : 1;
    }
  },
});
