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

/**
 * Runs a long-lived service until SIGTERM/SIGINT: `start` it, then on the signal `stop` it and
 * resolve 0. A failing start, or `failed` rejecting (the service stopping itself on an error no
 * retry fixes), stops what started and rejects.
 */
export async function runUntilSignal(logger: Logger, service: { start(): Promise<void>; stop(): Promise<void>; failed?: Promise<never> }): Promise<number> {
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  const removeHandlers = onShutdownSignal(logger, async () => {
    await service.stop();
    stopped();
  });
  try {
    await service.start();
    await (service.failed ? Promise.race([done, service.failed]) : done);
    return 0;
  } catch (err) {
    await service.stop().catch(() => undefined);
    throw err;
  } finally {
    removeHandlers();
  }
}
