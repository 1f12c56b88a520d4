import { defineCommand } from '@paysync/config';
import { createLogger, onShutdownSignal } from '@paysync/observability';
import { ApplyService } from './apply-service';
import { applySettings } from './settings';

export const applyCommand = defineCommand({
  name: 'apply',
  summary: 'Consume the table topics and apply them to a target database, effectively once.',
  settings: applySettings,
  run: async (config) => {
    const logger = createLogger({ service: 'apply', level: config.logLevel });
    let service: ApplyService;
    try {
      service = new ApplyService(config, logger);
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n`);
      return 2;
    }
    let stopped!: () => void;
    const done = new Promise<void>((resolve) => (stopped = resolve));
    const removeHandlers = onShutdownSignal(logger, async () => {
      await service.stop();
      stopped();
    });
    try {
      await service.start();
      await done;
      return 0;
    } catch (err) {
      logger.fatal({ err }, 'apply failed');
      await service.stop().catch(() => undefined);
      return 1;
    } finally {
      removeHandlers();
    }
  },
});
