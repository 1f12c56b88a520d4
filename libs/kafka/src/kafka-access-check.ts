import { causes, connectionFailure, SettingError, tlsSettingError, UnreachableError } from '@paysync/config';
import { kafkaDependency, kafkaFromSettings } from './kafka-client';
import type { KafkaConnectionSettings } from './kafka-security';

const CLOSED = /closed connection|connection closed|ECONNRESET|EPIPE|socket hang up/i;

function messagesOf(err: unknown): string {
  return [...causes(err)].map((e) => e.message ?? '').join(' | ');
}

/**
 * The setting an error of the first connection points at, when retrying cannot help; undefined
 * for errors that can pass (a broker not up yet, a leader moving). `closedEarly` is true when
 * the broker hung up on every attempt before answering, which a TLS or SASL listener does to a
 * client speaking plaintext or no SASL.
 */
export function explainKafkaError(err: unknown, settings: KafkaConnectionSettings, closedEarly = false): SettingError | undefined {
  const brokers = settings.kafkaBrokers.join(',');
  const name = (err as { name?: string }).name ?? '';
  const text = messagesOf(err);
  if (name === 'KafkaJSSASLAuthenticationError' || /SASL .*(authentication failed|mechanism)|Authentication failed/i.test(text)) {
    if (/not supported|unsupported|mechanism/i.test(text) && !/authentication failed/i.test(text)) {
      return new SettingError(['PAYSYNC_KAFKA_SASL_MECHANISM'], `the brokers (${brokers}) do not accept SASL ${settings.kafkaSaslMechanism ?? '(none)'}`, 'Use a mechanism their listener enables (sasl.enabled.mechanisms).');
    }
    return new SettingError(
      ['PAYSYNC_KAFKA_SASL_USERNAME', 'PAYSYNC_KAFKA_SASL_PASSWORD'],
      `the brokers (${brokers}) refused the SASL ${settings.kafkaSaslMechanism ?? ''} credentials of user "${settings.kafkaSaslUsername ?? ''}"`,
      'Check the user name and password, and that the user exists for this mechanism.',
    );
  }
  const tls = tlsSettingError(err, `the brokers (${brokers})`, {
    untrusted: { settings: ['PAYSYNC_KAFKA_SSL_CA_FILE'], fix: 'Set PAYSYNC_KAFKA_SSL_CA_FILE to the CA certificate that signed the brokers\' certificates (or renew them).' },
    wrongHost: { settings: ['PAYSYNC_KAFKA_BROKERS'], fix: 'Use the host names their certificates name (in PAYSYNC_KAFKA_BROKERS and the brokers\' advertised.listeners).' },
    handshake: { settings: ['PAYSYNC_KAFKA_SSL'], fix: 'Use the port of an SSL or SASL_SSL listener; if it wants a client certificate, set PAYSYNC_KAFKA_SSL_CERT_FILE and PAYSYNC_KAFKA_SSL_KEY_FILE.' },
  });
  if (tls) return tls;
  if (closedEarly && CLOSED.test(text)) {
    const closed = `the brokers (${brokers}) closed every connection before answering`;
    if (!settings.kafkaSsl) {
      return new SettingError(
        ['PAYSYNC_KAFKA_SSL', 'PAYSYNC_KAFKA_SASL_MECHANISM'],
        closed,
        'A TLS listener does that to a plaintext client (set PAYSYNC_KAFKA_SSL=true and PAYSYNC_KAFKA_SSL_CA_FILE), a SASL listener to a client without SASL (set PAYSYNC_KAFKA_SASL_MECHANISM and the credentials).',
      );
    }
    if (!settings.kafkaSaslMechanism) return new SettingError(['PAYSYNC_KAFKA_SASL_MECHANISM'], `${closed} over TLS`, 'A SASL_SSL listener does that to a client without SASL: set PAYSYNC_KAFKA_SASL_MECHANISM and the credentials.');
    return new SettingError(['PAYSYNC_KAFKA_BROKERS'], `${closed} over TLS with SASL`, 'Check that these addresses are the SASL_SSL listener\'s.');
  }
  return undefined;
}

/** The UnreachableError of a connection to the brokers that failed; undefined for other errors. */
function unreachableBrokers(err: unknown, settings: KafkaConnectionSettings): UnreachableError | undefined {
  const failure = connectionFailure(err);
  return failure === undefined ? undefined : new UnreachableError(kafkaDependency(settings), failure, err);
}

const ATTEMPTS = 3;

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

/**
 * Asks the brokers for the cluster's metadata once before a service starts (a client of its own,
 * without retries), so a setting the brokers refuse (wrong password, untrusted CA, plaintext
 * against TLS) stops the command with a SettingError at once instead of kafkajs retrying it for
 * a minute. Brokers that do not answer throw an UnreachableError, for the service to wait on;
 * other errors that can pass (a leader moving) are left to the service's usual retries.
 */
export async function checkKafkaAccess(settings: KafkaConnectionSettings): Promise<void> {
  let closedEvery = true;
  let lastError: unknown;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const admin = kafkaFromSettings(settings, quiet, { retries: 0 }).admin();
    try {
      await admin.connect();
      // A SASL listener answers a client without SASL until its first real request.
      await admin.describeCluster();
      return;
    } catch (err) {
      const explained = explainKafkaError(err, settings);
      if (explained) throw explained;
      closedEvery &&= CLOSED.test(messagesOf(err));
      if (!closedEvery) {
        const unreachable = unreachableBrokers(err, settings);
        if (unreachable) throw unreachable;
        return;
      }
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
  const explained = explainKafkaError(lastError, settings, true) ?? unreachableBrokers(lastError, settings);
  if (explained) throw explained;
}
