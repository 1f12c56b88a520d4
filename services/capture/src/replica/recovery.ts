import { causes, ConfigError, SettingError } from '@paysync/config';
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

/** The ports of the systems capture talks to, to tell which one refused or dropped a connection. */
export type SystemPorts = Record<Exclude<RecoveryReason, 'other'>, number[]>;

export function recoveryReason(err: unknown, ports: SystemPorts): RecoveryReason {
  for (const e of causes(err)) {
    const { name = '', message = '', port } = e as { name?: string; message?: string; port?: number };
    if (port !== undefined) {
      const system = (Object.keys(ports) as (keyof SystemPorts)[]).find((key) => ports[key].includes(port));
      if (system) return system;
    }
    if (name.startsWith('KafkaJS') || name === 'ProducerUnusable' || name === 'KafkaAckTimeout') return 'kafka';
    if (/registry/i.test(name) || /registry/i.test(message)) return 'registry';
    if ('severity' in (e as object) || /replication connection|Connection terminated|postgres/i.test(message)) return 'source';
  }
  return 'other';
}

/** The ports of the source, the brokers and the registry, from their URLs and addresses. */
export function systemPorts(sourceUrl: string, brokers: string[], registryUrl: string): SystemPorts {
  const urlPort = (url: string, fallback: number) => Number(new URL(url).port || fallback);
  return {
    source: [urlPort(sourceUrl, 5432)],
    kafka: brokers.map((broker) => Number(broker.split(':').pop())),
    registry: [urlPort(registryUrl, registryUrl.startsWith('https:') ? 443 : 80)],
  };
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
