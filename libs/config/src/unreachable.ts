import { causes } from './setting-error';

export type DependencyKind = 'kafka' | 'registry' | 'postgres' | 'mysql';

/** An outside system a command talks to, where one of its settings says it is. */
export interface Dependency {
  kind: DependencyKind;
  /** How a log line names it: "Kafka", "Schema registry", "PostgreSQL", "MariaDB/MySQL". */
  name: string;
  /** host:port, comma-separated for several brokers; never credentials. */
  address: string;
  /** The setting the address comes from, for a person to check. */
  setting: string;
}

/**
 * A dependency did not answer: refused, timed out, unknown host, connection dropped. Unlike a
 * SettingError it can pass (a server restarting, a network blip), so services wait and retry.
 */
export class UnreachableError extends Error {
  constructor(
    readonly dependency: Dependency,
    /** What the connection said, e.g. "connect ECONNREFUSED". */
    readonly failure: string,
    cause?: unknown,
  ) {
    super(`${dependency.name} unreachable at ${dependency.address} (${dependency.setting}): ${failure}`, { cause });
    this.name = 'UnreachableError';
  }
}

const SOCKET_CODES = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED'];
const SOCKET_FAILURE = new RegExp(`(?:(?:connect|getaddrinfo|read|write) )?\\b(?:${SOCKET_CODES.join('|')})\\b`);
/** Drivers' own words for a connection that could not be made or was dropped (pg, mysql2, kafkajs). */
const DROPPED = /Connection terminated[^.:]*|Connection lost|Connection timeout|Closed connection|connection closed|socket hang up|timeout expired/i;

/**
 * What went wrong reaching a server, in a few words ("connect ECONNREFUSED", "Connection
 * terminated unexpectedly"), when `err` (or an error it wraps) is such a failure; undefined for
 * anything else (a refused password, a missing table, a bug).
 */
export function connectionFailure(err: unknown): string | undefined {
  for (const e of causes(err)) {
    const message = e.message ?? '';
    const words = SOCKET_FAILURE.exec(message) ?? DROPPED.exec(message);
    if (words) return words[0];
    if (e.code !== undefined && (SOCKET_CODES.includes(e.code) || e.code === 'PROTOCOL_CONNECTION_LOST')) return e.code;
  }
  return undefined;
}

function hostAndPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}

/** Tells a driver's errors apart when they carry no address (a connection dropped mid-query). */
const RECOGNIZE: Record<DependencyKind, (e: { name?: string; message?: string; code?: string }) => boolean> = {
  kafka: (e) => /^KafkaJS/.test(e.name ?? '') || e.name === 'ProducerUnusable',
  registry: (e) => e.name === 'ResponseError' || /registry/i.test(e.message ?? ''),
  postgres: (e) => 'severity' in e || /Connection terminated|postgres/i.test(e.message ?? ''),
  mysql: (e) => 'sqlState' in e || /^PROTOCOL_/.test(e.code ?? ''),
};

/**
 * Which of `dependencies` an error comes from: the one at the address (or else the port) it
 * names, else the one whose driver's errors it looks like; undefined when none fits.
 */
export function dependencyOf<D extends Dependency>(err: unknown, dependencies: readonly D[]): D | undefined {
  const addresses = dependencies.map((d) => ({ d, at: d.address.split(',').map(hostAndPort) }));
  for (const e of causes(err)) {
    const fields = e as { address?: string; port?: number; broker?: string; message?: string };
    const named = fields.broker ?? /\S+:\d{1,5}\b/.exec(fields.message ?? '')?.[0];
    const { host, port } = fields.port !== undefined ? { host: fields.address, port: fields.port } : named ? hostAndPort(named) : { host: undefined, port: undefined };
    if (port === undefined) continue;
    const exact = addresses.find(({ at }) => at.some((a) => a.port === port && a.host === host));
    const samePort = addresses.find(({ at }) => at.some((a) => a.port === port));
    if (exact ?? samePort) return (exact ?? samePort)?.d;
  }
  for (const e of causes(err)) {
    const found = dependencies.find((d) => RECOGNIZE[d.kind](e));
    if (found) return found;
  }
  return undefined;
}

/** The UnreachableError an error of talking to `dependencies` amounts to; undefined when it is no connection failure. */
export function asUnreachable(err: unknown, dependencies: readonly Dependency[]): UnreachableError | undefined {
  if (err instanceof UnreachableError) return err;
  const failure = connectionFailure(err);
  const dependency = failure === undefined ? undefined : dependencyOf(err, dependencies);
  return dependency && failure ? new UnreachableError(dependency, failure, err) : undefined;
}
