import { defineCommand, SettingError } from '@paysync/config';
import { createLogger, runUntilSignal } from '@paysync/observability';
import { ApplyService } from './apply-service';
import { MissingPrivilegeError } from './targets/missing-privileges';
import { applySettings, bidirectionalSettings, deleteMarkerSettings } from './settings';

export const applyCommand = defineCommand({
  name: 'apply',
  summary: 'Consume the table topics and apply them to a target database, effectively once.',
  settings: { ...applySettings, ...deleteMarkerSettings, ...bidirectionalSettings },
  run: async (config) => {
    const logger = createLogger({ service: 'apply', level: config.logLevel });
    let service: ApplyService;
    try {
      service = new ApplyService(config, logger);
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n`);
      return 2;
    }
    try {
      return await runUntilSignal(logger, service, config.drainTimeoutMs);
    } catch (err) {
      logger.fatal({ err }, 'apply failed');
      // For a person to fix: said plainly, with the statements that fix it.
      if (err instanceof MissingPrivilegeError) process.stderr.write(`paysync apply: ${err.message}\n`);
      if (err instanceof SettingError) {
        process.stderr.write(`paysync apply: ${err.message}\n`);
        return 2;
      }
      return 1;
    }
  },
});
