import type { Logger } from './logger';

/**
 * Runs `stop` once on the first SIGTERM or SIGINT (drain, flush, acknowledge), then lets the process
 * exit. A second signal while stopping forces exit, so an operator is never stuck.
 */
export function onShutdownSignal(logger: Logger, stop: (signal: string) => Promise<void>): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal while stopping: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping: draining and acknowledging before exit');
    stop(signal).then(
      () => logger.info('stopped cleanly'),
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
