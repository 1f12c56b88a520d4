import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import { kafkaSecurity, type KafkaConnectionSettings } from './kafka-security';

export interface KafkaLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger: KafkaLogger;
  ssl?: KafkaConfig['ssl'];
  sasl?: KafkaConfig['sasl'];
  /** Retries of a failed request or connection (default 8, with backoff from 200 ms). */
  retries?: number;
}

/** kafkajs logs through the service's structured logger instead of its own console format. */
function logCreatorFor(logger: KafkaLogger): KafkaConfig['logCreator'] {
  return () => (entry: LogEntry) => {
    const { message, ...extra } = entry.log;
    const fields = { component: `kafkajs.${entry.namespace}`, ...extra };
    if (entry.level === logLevel.ERROR) logger.error(fields, message);
    else if (entry.level === logLevel.WARN) logger.warn(fields, message);
    else if (entry.level === logLevel.INFO) logger.debug(fields, message);
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
    logCreator: logCreatorFor(options.logger),
    retry: { initialRetryTime: 200, retries: options.retries ?? 8 },
  });
}

/** The client a command's Kafka settings describe: its brokers, client id, TLS and SASL. */
export function kafkaFromSettings(settings: KafkaConnectionSettings, logger: KafkaLogger, retries?: number): Kafka {
  return createKafka({ brokers: settings.kafkaBrokers, clientId: settings.kafkaClientId, logger, retries, ...kafkaSecurity(settings) });
}
