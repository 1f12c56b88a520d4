import { UnreachableError, type Dependency } from '@paysync/config';
import type { Logger } from './logger';
import type { Outages } from './outages';

/** start() was given up: stop() was called while it waited on an outside system. */
export class StartAborted extends Error {
  constructor() {
    super('stopped while starting');
    this.name = 'StartAborted';
  }
}

/** The wait after the `attempt`-th failure: 0.5 s doubling to 5 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(5000, 500 * 2 ** Math.min(attempt - 1, 4));
}

export interface WaitOptions {
  /**
   * Errors that are not an unreachable dependency: thrown (the default: a setting refused, a
   * missing privilege), or retried too (a topic that capture has not created yet).
   */
  otherErrors?: 'throw' | 'retry';
  /** Undoes a step that succeeded only after abort() gave it up (a connection made too late for a stop that already closed everything). */
  late?: () => Promise<void>;
}

/**
 * The steps of a service's start that wait on outside systems, all given up at once by abort():
 * a SIGTERM while Kafka does not answer ends start() at once with StartAborted instead of after
 * the next retry. A dependency that does not answer goes to `outages` (the line naming its
 * address and the setting to check, /readyz).
 */
export class StartupWaits {
  private readonly controller = new AbortController();
  /** What start-up waits for now (a dependency that does not answer, a topic): for /readyz. */
  waitingFor: string | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly outages: Outages,
    /** Tells an error as a dependency that does not answer (UnreachableError, or a driver's error of one). */
    private readonly unreachable: (err: unknown) => UnreachableError | undefined = (err) => (err instanceof UnreachableError ? err : undefined),
  ) {}

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  abort(): void {
    this.controller.abort();
  }

  /** Runs `step` until it succeeds (see WaitOptions for which errors are retried). */
  async untilDone<T>(what: string, step: () => Promise<T>, options: WaitOptions = {}): Promise<T> {
    const waitedOn = new Set<Dependency>();
    for (let attempt = 1; ; attempt++) {
      const askedAt = Date.now();
      try {
        const result = await this.abortable(step(), options.late);
        this.waitingFor = undefined;
        waitedOn.forEach((dependency) => this.outages.recovered(dependency, askedAt));
        return result;
      } catch (err) {
        if (err instanceof StartAborted) throw err;
        const retryInMs = retryDelayMs(attempt);
        const unreachable = this.unreachable(err);
        if (unreachable) {
          this.waitingFor = unreachable.message;
          waitedOn.add(unreachable.dependency);
          this.outages.report(unreachable, retryInMs, { attempt });
        } else if (options.otherErrors === 'retry') {
          this.waitingFor = (err as Error).message;
          if (attempt === 1 || attempt % 10 === 0) this.logger.warn({ err, attempt }, `start-up: ${what} not ready, retrying`);
        } else {
          throw err;
        }
        await this.sleep(retryInMs);
      }
    }
  }

  /**
   * `work`, given up (StartAborted) when abort() is called first. It goes on in the background:
   * `late` undoes it if it succeeds after all, so nothing is left open that stop() did not see.
   */
  abortable<T>(work: Promise<T>, late?: () => Promise<void>): Promise<T> {
    const { signal } = this.controller;
    // Given up: what it made after all is undone, its failure is of no interest.
    const givenUp = (): void =>
      void work.then(
        () => late?.().catch(() => undefined),
        () => undefined,
      );
    if (signal.aborted) {
      givenUp();
      return Promise.reject(new StartAborted());
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        givenUp();
        reject(new StartAborted());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Sleeps `ms`; rejects with StartAborted as soon as abort() is called. */
  async sleep(ms: number): Promise<void> {
    if (!(await sleepUnless(ms, this.controller.signal))) throw new StartAborted();
  }
}

/** Sleeps `ms`, cut short when `signal` aborts; resolves whether it slept all of it. */
export function sleepUnless(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const wake = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', wake);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', wake, { once: true });
  });
}
