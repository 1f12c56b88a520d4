import { connectionFailure, UnreachableError, type Dependency } from '@paysync/config';
import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import { kafkaSecurity, type KafkaConnectionSettings } from './kafka-security';

export interface KafkaLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** Told of each failed attempt to reach the brokers; `retryInMs` when kafkajs says when it tries again. */
export type OnUnreachable = (unreachable: UnreachableError, retryInMs: number | undefined) => void;

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger: KafkaLogger;
  ssl?: KafkaConfig['ssl'];
  sasl?: KafkaConfig['sasl'];
  /** Retries of a failed request or connection (default 8, with backoff from 200 ms). */
  retries?: number;
  onUnreachable?: OnUnreachable;
}

/** The brokers as the settings name them, for the line saying they do not answer. */
export function kafkaDependency(settings: Pick<KafkaConnectionSettings, 'kafkaBrokers'>): Dependency {
  return { kind: 'kafka', name: 'Kafka', address: settings.kafkaBrokers.join(','), setting: 'PAYSYNC_KAFKA_BROKERS' };
}

/**
 * kafkajs's lines of its own retries, which it also hands to the caller once it gives up (and the
 * services report then): an error response of the broker (a coordinator or leader not available
 * while a broker starts), a consumer's crash (its CRASH event) and restart.
 */
const RETRY_NOISE = /^Response \w+\(key: \d+, version: \d+\)$|^Crash: |^Restarting the consumer in/;

/**
 * kafkajs logs through the service's structured logger instead of its own console format. Its
 * lines about brokers it cannot reach (two or three per attempt of every connection, many
 * attempts a minute) are debug: they go to `onUnreachable`, which the services turn into one line
 * per retry period naming the setting (libs/observability Outages).
 */
function logCreatorFor(logger: KafkaLogger, dependency: Dependency, onUnreachable: OnUnreachable | undefined): KafkaConfig['logCreator'] {
  return () => (entry: LogEntry) => {
    const { message, ...extra } = entry.log;
    const fields = { component: `kafkajs.${entry.namespace}`, ...extra };
    const failure = entry.level <= logLevel.WARN ? connectionFailure({ message: `${message} ${String(extra.error ?? '')}` }) : undefined;
    if (failure !== undefined) {
      logger.debug(fields, message);
      onUnreachable?.(new UnreachableError(dependency, failure), typeof extra.retryTime === 'number' ? extra.retryTime : undefined);
    } else if (RETRY_NOISE.test(message)) logger.debug(fields, message);
    else if (entry.level === logLevel.ERROR) logger.error(fields, message);
    else if (entry.level === logLevel.WARN) logger.warn(fields, message);
    else logger.debug(fields, message);
  };
}

export function createKafka(options: KafkaClientOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    ssl: options.ssl,
    sasl: options.sasl,
    logLevel: logLevel.INFO,
    logCreator: logCreatorFor(options.logger, kafkaDependency({ kafkaBrokers: options.brokers }), options.onUnreachable),
    retry: { initialRetryTime: 200, retries: options.retries ?? 8 },
  });
}

/** The client a command's Kafka settings describe: its brokers, client id, TLS and SASL. */
export function kafkaFromSettings(settings: KafkaConnectionSettings, logger: KafkaLogger, options: Pick<KafkaClientOptions, 'retries' | 'onUnreachable'> = {}): Kafka {
  return createKafka({ brokers: settings.kafkaBrokers, clientId: settings.kafkaClientId, logger, ...options, ...kafkaSecurity(settings) });
}
