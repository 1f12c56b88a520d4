import type { Dependency, UnreachableError } from '@paysync/config';
import type { Logger } from './logger';

/** However often a dependency's clients retry it, its line is logged at most this often. */
const LINE_EVERY_MS = 5000;

/** "retrying in 5 s", "retrying in 0.5 s". */
export function retryingIn(ms: number): string {
  const seconds = ms / 1000;
  return `retrying in ${Number.isInteger(seconds) || seconds >= 10 ? Math.round(seconds) : seconds.toFixed(1)} s`;
}

/**
 * The outside systems a service cannot reach now: for /readyz, and for one log line per retry
 * period each, e.g. `Kafka unreachable at 127.0.0.1:1 (PAYSYNC_KAFKA_BROKERS): connect
 * ECONNREFUSED; retrying in 5 s`, however many of its clients' attempts fail meanwhile.
 */
export class Outages {
  private readonly down = new Map<string, { message: string; failedAt: number; loggedAt: number; quietMs: number }>();

  constructor(private readonly logger: Logger) {}

  /** `unreachable` failed again; `retryInMs`: when it is tried next, if known. */
  report(unreachable: UnreachableError, retryInMs: number | undefined, fields: Record<string, unknown> = {}): void {
    const { kind, address, setting } = unreachable.dependency;
    const key = keyOf(unreachable.dependency);
    const now = Date.now();
    const last = this.down.get(key);
    if (last && now - last.loggedAt < last.quietMs) {
      Object.assign(last, { message: unreachable.message, failedAt: now });
      return;
    }
    this.down.set(key, { message: unreachable.message, failedAt: now, loggedAt: now, quietMs: Math.max(retryInMs ?? 0, LINE_EVERY_MS) });
    const retry = retryInMs === undefined ? 'retrying' : retryingIn(retryInMs);
    this.logger.error({ dependency: kind, address, setting, failure: unreachable.failure, retryInMs, ...fields }, `${unreachable.message}; ${retry}`);
  }

  /**
   * The dependency answered a request sent at `askedAtMs` (epoch ms). An answer to a request sent
   * before its last failure says nothing of now (a fetch returning as the broker dies), so it is
   * still down then.
   */
  recovered(dependency: Dependency, askedAtMs: number): void {
    const key = keyOf(dependency);
    const last = this.down.get(key);
    if (!last || askedAtMs < last.failedAt) return;
    this.down.delete(key);
    this.logger.info({ dependency: dependency.kind, address: dependency.address, setting: dependency.setting }, `${dependency.name} reachable again`);
  }

  isDown(dependency: Dependency): boolean {
    return this.down.has(keyOf(dependency));
  }

  /** What does not answer now, one sentence each (empty: everything answers). */
  get current(): string[] {
    return [...this.down.values()].map((d) => d.message);
  }
}

function keyOf(dependency: Dependency): string {
  return `${dependency.setting} ${dependency.address}`;
}
