import { flag, oneOf, optional, pemFile, text, withCrossCheck } from './setting';

const isSet = (value: unknown): boolean => value !== undefined;

/** Both or neither: a client certificate without its key (or the reverse) can only fail later. */
function pairedWith(other: string) {
  return (value: unknown, valueOf: (env: string) => unknown): string | undefined =>
    isSet(value) !== isSet(valueOf(other)) ? `and ${other} go together: set both (mutual TLS) or neither` : undefined;
}

/** How paysync reaches Kafka securely: TLS (optionally mutual) and SASL. Used by every command that talks to Kafka. */
export const kafkaSecuritySettings = {
  kafkaSsl: withCrossCheck(
    flag('PAYSYNC_KAFKA_SSL', {
      description: 'Connect to the brokers over TLS (the listener must be SSL or SASL_SSL). The broker certificate is verified against PAYSYNC_KAFKA_SSL_CA_FILE, else the system CAs, and must name the broker host.',
      default: false,
    }),
    (ssl, valueOf) => {
      const needTls = ['PAYSYNC_KAFKA_SSL_CA_FILE', 'PAYSYNC_KAFKA_SSL_CERT_FILE', 'PAYSYNC_KAFKA_SSL_KEY_FILE'].filter((env) => isSet(valueOf(env)));
      return !ssl && needTls.length > 0 ? `is false but ${needTls.join(', ')} is set: set PAYSYNC_KAFKA_SSL=true to use TLS` : undefined;
    },
  ),
  kafkaSslCaFile: optional(pemFile('PAYSYNC_KAFKA_SSL_CA_FILE', { description: 'PEM file of the CA certificate(s) that signed the brokers\' certificates (default: the system CAs).', holds: 'certificate' })),
  kafkaSslCertFile: withCrossCheck(
    optional(pemFile('PAYSYNC_KAFKA_SSL_CERT_FILE', { description: 'PEM client certificate for mutual TLS (with PAYSYNC_KAFKA_SSL_KEY_FILE).', holds: 'certificate', example: '/etc/paysync/tls/client.crt' })),
    pairedWith('PAYSYNC_KAFKA_SSL_KEY_FILE'),
  ),
  kafkaSslKeyFile: optional(pemFile('PAYSYNC_KAFKA_SSL_KEY_FILE', { description: 'PEM private key of the client certificate (mutual TLS).', holds: 'private key', secret: true })),
  kafkaSaslMechanism: withCrossCheck(
    optional(
      oneOf('PAYSYNC_KAFKA_SASL_MECHANISM', ['plain', 'scram-sha-256', 'scram-sha-512'] as const, {
        description: 'SASL mechanism of the listener (with PAYSYNC_KAFKA_SASL_USERNAME and _PASSWORD); unset: no SASL. plain sends the password as is: use it only with PAYSYNC_KAFKA_SSL=true.',
        example: 'scram-sha-512',
      }),
    ),
    (mechanism, valueOf) => {
      const credentials = ['PAYSYNC_KAFKA_SASL_USERNAME', 'PAYSYNC_KAFKA_SASL_PASSWORD'];
      if (isSet(mechanism)) {
        const missing = credentials.filter((env) => !isSet(valueOf(env)));
        return missing.length > 0 ? `=${String(mechanism)} needs ${missing.join(' and ')}` : undefined;
      }
      const stray = credentials.filter((env) => isSet(valueOf(env)));
      return stray.length > 0 ? `is unset but ${stray.join(' and ')} is set: name the mechanism (plain, scram-sha-256 or scram-sha-512)` : undefined;
    },
  ),
  kafkaSaslUsername: optional(text('PAYSYNC_KAFKA_SASL_USERNAME', { description: 'SASL user name.', example: 'paysync-capture' })),
  kafkaSaslPassword: optional(text('PAYSYNC_KAFKA_SASL_PASSWORD', { description: 'SASL password (or PAYSYNC_KAFKA_SASL_PASSWORD_FILE naming a file that holds it).', example: '(from a secret)', secret: true })),
};

/** How paysync authenticates to the schema registry and trusts its https certificate. */
export const registrySecuritySettings = {
  schemaRegistryUsername: withCrossCheck(
    optional(text('PAYSYNC_SCHEMA_REGISTRY_USERNAME', { description: 'Basic-auth user of the schema registry (with PAYSYNC_SCHEMA_REGISTRY_PASSWORD).', example: 'paysync' })),
    (username, valueOf) => {
      if (isSet(username) && isSet(valueOf('PAYSYNC_SCHEMA_REGISTRY_TOKEN'))) return 'and PAYSYNC_SCHEMA_REGISTRY_TOKEN are both set: use basic auth or a bearer token, not both';
      return pairedWith('PAYSYNC_SCHEMA_REGISTRY_PASSWORD')(username, valueOf);
    },
  ),
  schemaRegistryPassword: optional(text('PAYSYNC_SCHEMA_REGISTRY_PASSWORD', { description: 'Basic-auth password of the schema registry.', example: '(from a secret)', secret: true })),
  schemaRegistryToken: optional(text('PAYSYNC_SCHEMA_REGISTRY_TOKEN', { description: 'Bearer token sent to the schema registry (Authorization: Bearer ...), instead of basic auth.', example: '(from a secret)', secret: true })),
  schemaRegistryCaFile: optional(pemFile('PAYSYNC_SCHEMA_REGISTRY_CA_FILE', { description: 'PEM file of the CA certificate(s) that signed an https registry\'s certificate (default: the system CAs).', holds: 'certificate' })),
};
