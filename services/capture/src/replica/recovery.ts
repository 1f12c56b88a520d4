import { causes, ConfigError, dependencyOf, SettingError, type Dependency } from '@paysync/config';
import { kafkaDependency } from '@paysync/kafka';
import { postgresDependency } from '@paysync/postgres';
import { registryDependency } from '@paysync/registry';
import { PreflightError } from '../startup/preflight-problem';

/** Why a streaming term ended and capture recovers in place: a label of paysync_capture_recoveries_total. */
export type RecoveryReason = 'source' | 'kafka' | 'registry' | 'other';

/**
 * Errors that a restart cannot fix: a setting to change, a missing privilege, a lost slot (a
 * SettingError naming PAYSYNC_RESNAPSHOT_ON_SLOT_LOSS). Capture stops on them, saying what to do.
 * Everything else (a source restart, a dropped connection, a broker or registry outage) ends the
 * streaming term only, and capture reconnects inside the process.
 */
export function stopsCapture(err: unknown): boolean {
  return [...causes(err)].some(
    (e) => e instanceof SettingError || e instanceof ConfigError || e instanceof PreflightError || e.code === '42501',
  );
}

/** The systems capture talks to, where its settings say they are. */
export type CaptureDependencies = Record<Exclude<RecoveryReason, 'other'>, Dependency>;

export function captureDependencies(sourceUrl: string, brokers: string[], registryUrl: string): CaptureDependencies {
  return { source: postgresDependency(sourceUrl, 'PAYSYNC_SOURCE_URL'), kafka: kafkaDependency({ kafkaBrokers: brokers }), registry: registryDependency(registryUrl) };
}

/** Which system an error that ended a term came from (libs/config dependencyOf: by address, else by its driver). */
export function recoveryReason(err: unknown, dependencies: CaptureDependencies): RecoveryReason {
  if ([...causes(err)].some((e) => (e as { name?: string }).name === 'KafkaAckTimeout')) return 'kafka';
  const found = dependencyOf(err, Object.values(dependencies));
  return (Object.keys(dependencies) as (keyof CaptureDependencies)[]).find((key) => dependencies[key] === found) ?? 'other';
}

/**
 * Waits between recoveries: 1 s doubling to 30 s, back to 1 s after a term that streamed for a
 * minute, so a flapping source is not hammered and a single outage is recovered from quickly.
 */
export class RecoveryBackoff {
  private attempts = 0;

  next(termStreamedMs: number): number {
    if (termStreamedMs >= 60_000) this.attempts = 0;
    const wait = Math.min(30_000, 1000 * 2 ** this.attempts);
    this.attempts = Math.min(this.attempts + 1, 5);
    return wait;
  }
}
