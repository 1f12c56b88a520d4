import type { Logger } from './logger';

/** After a stop that finished, how long the process may take to exit by itself. */
const EXIT_AFTER_STOP_MS = 1000;

const stillOpen = (): string[] => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');

/**
 * The last resort of a stop that does not end (a drain that cannot finish, an outside system that
 * does not answer): `drainTimeoutMs` after the signal the process exits with code 1, saying what
 * still held it. Unref'd, as the other timers here: they never keep the process alive.
 */
function exitAfterDrainLimit(logger: Logger, signal: string, drainTimeoutMs: number): NodeJS.Timeout {
  return setTimeout(() => {
    logger.error({ signal, drainTimeoutMs, stillOpen: stillOpen() }, `still stopping ${drainTimeoutMs / 1000} s after ${signal} (PAYSYNC_DRAIN_TIMEOUT_MS): exiting now`);
    process.exit(1);
  }, drainTimeoutMs).unref();
}

/**
 * Once everything is drained and closed, what an outside system that did not answer left behind
 * (a kafkajs client given up while it retried, with its timers and sockets) must not keep the
 * process up: it exits with the command's exit code.
 */
function exitOnceStopped(logger: Logger): void {
  setTimeout(() => {
    logger.info({ stillOpen: stillOpen() }, 'stopped; exiting without waiting for the clients given up on');
    process.exit();
  }, EXIT_AFTER_STOP_MS).unref();
}

/**
 * Runs `stop` once on the first SIGTERM or SIGINT (drain, flush, acknowledge), then lets the process
 * exit; past `drainTimeoutMs` it exits anyway. A second signal while stopping forces exit, so an
 * operator is never stuck.
 */
export function onShutdownSignal(logger: Logger, stop: (signal: string) => Promise<void>, drainTimeoutMs: number): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal while stopping: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, drainTimeoutMs }, 'stopping: draining and acknowledging before exit');
    const drainLimit = exitAfterDrainLimit(logger, signal, drainTimeoutMs);
    stop(signal)
      .then(
        () => logger.info('stopped cleanly'),
        (err: unknown) => {
          logger.error({ err }, 'error while stopping');
          process.exitCode = 1;
        },
      )
      .finally(() => {
        clearTimeout(drainLimit);
        exitOnceStopped(logger);
      });
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
 * resolve 0. The signal also ends a start still waiting on an outside system (stop() aborts it). A
 * failing start, or `failed` rejecting (the service stopping itself on an error no retry fixes),
 * stops what started and rejects.
 */
export async function runUntilSignal(
  logger: Logger,
  service: { start(): Promise<void>; stop(): Promise<void>; failed?: Promise<never> },
  drainTimeoutMs: number,
): Promise<number> {
  let signalled = false;
  let stopFailed = false;
  let stopped!: () => void;
  const stoppedBySignal = new Promise<void>((resolve) => (stopped = resolve));
  const removeHandlers = onShutdownSignal(
    logger,
    async () => {
      signalled = true;
      try {
        await service.stop();
      } catch (err) {
        stopFailed = true;
        throw err;
      } finally {
        stopped();
      }
    },
    drainTimeoutMs,
  );
  try {
    await Promise.race([service.start(), stoppedBySignal]);
    await (service.failed ? Promise.race([stoppedBySignal, service.failed]) : stoppedBySignal);
    return stopFailed ? 1 : 0;
  } catch (err) {
    // A start that stop() gave up, or an error of the stop in progress: the signal's stop decides.
    if (signalled) {
      await stoppedBySignal;
      return stopFailed ? 1 : 0;
    }
    await service.stop().catch(() => undefined);
    throw err;
  } finally {
    removeHandlers();
  }
}
