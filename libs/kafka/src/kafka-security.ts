import { readFileSync } from 'node:fs';
import type { KafkaConfig } from 'kafkajs';

/** The Kafka settings of a command (libs/config kafkaSettings), as this module reads them. */
export interface KafkaConnectionSettings {
  kafkaBrokers: string[];
  kafkaClientId: string;
  kafkaSsl: boolean;
  kafkaSslCaFile?: string;
  kafkaSslCertFile?: string;
  kafkaSslKeyFile?: string;
  kafkaSaslMechanism?: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  kafkaSaslUsername?: string;
  kafkaSaslPassword?: string;
}

/**
 * kafkajs's TLS and SASL options from the settings. The files are read once, here; without a CA
 * file Node's own CA list verifies the brokers, and the host name is always checked (Node's
 * default), as Kafka's Java clients do with ssl.endpoint.identification.algorithm=https.
 */
export function kafkaSecurity(settings: KafkaConnectionSettings): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const ssl = settings.kafkaSsl
    ? {
        ...(settings.kafkaSslCaFile ? { ca: [readFileSync(settings.kafkaSslCaFile, 'utf8')] } : {}),
        ...(settings.kafkaSslCertFile ? { cert: readFileSync(settings.kafkaSslCertFile, 'utf8') } : {}),
        ...(settings.kafkaSslKeyFile ? { key: readFileSync(settings.kafkaSslKeyFile, 'utf8') } : {}),
      }
    : undefined;
  const { kafkaSaslMechanism: mechanism, kafkaSaslUsername: username = '', kafkaSaslPassword: password = '' } = settings;
  const sasl = mechanism ? { mechanism, username, password } : undefined;
  return { ssl, sasl } as Pick<KafkaConfig, 'ssl' | 'sasl'>;
}

/** Says in plain words how the client connects, for start-up logs (never the password). */
export function kafkaSecurityDescription(settings: KafkaConnectionSettings): string {
  const transport = settings.kafkaSsl ? (settings.kafkaSslCertFile ? 'TLS with a client certificate' : 'TLS') : 'plaintext';
  return settings.kafkaSaslMechanism ? `${transport}, SASL ${settings.kafkaSaslMechanism} as ${settings.kafkaSaslUsername}` : transport;
}
