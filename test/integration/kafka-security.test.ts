import { SettingError } from '@paysync/config';
import { checkKafkaAccess, createIdempotentProducer, deleteTopics, ensureTopics, kafkaFromSettings, sendAcked, type KafkaConnectionSettings } from '@paysync/kafka';
import { uniqueName } from '../support/fixtures';
import { secureStackAddresses } from '../support/stack-addresses';
import { readRawTopic } from '../support/topic-reader';

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

/** The stack's listener that wants a client certificate (ssl.client.auth=required), with the stack's client certificate. */
function mutualTls(): KafkaConnectionSettings {
  const secure = secureStackAddresses();
  return {
    kafkaBrokers: [secure.PAYSYNC_TEST_KAFKA_MTLS_BROKERS],
    kafkaClientId: 'paysync-test',
    kafkaSsl: true,
    kafkaSslCaFile: secure.PAYSYNC_TEST_CA_FILE,
    kafkaSslCertFile: secure.PAYSYNC_TEST_CLIENT_CERT_FILE,
    kafkaSslKeyFile: secure.PAYSYNC_TEST_CLIENT_KEY_FILE,
  };
}

describe('Kafka over mutual TLS', () => {
  it('writes and reads through the listener with the client certificate', async () => {
    const settings = mutualTls();
    await checkKafkaAccess(settings);
    const kafka = kafkaFromSettings(settings, quiet);
    const topic = uniqueName('paysync-mtls').replace(/_/g, '-');
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    try {
      await sendAcked(producer, [{ topic, messages: [{ key: 'k', value: 'over mutual TLS' }] }]);
      const records = await readRawTopic(kafka, topic);
      expect(records.map((r) => r.value?.toString('utf8'))).toEqual(['over mutual TLS']);
    } finally {
      await producer.disconnect();
      await deleteTopics(kafka, [topic]);
    }
  });

  it('stops with the TLS setting named when the client certificate is missing', async () => {
    const { kafkaSslCertFile: _cert, kafkaSslKeyFile: _key, ...withoutCertificate } = mutualTls();
    const failure = await checkKafkaAccess(withoutCertificate).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(SettingError);
    expect((failure as Error).message).toMatch(/^PAYSYNC_KAFKA_SSL: the TLS handshake with the brokers .* failed.* set PAYSYNC_KAFKA_SSL_CERT_FILE and PAYSYNC_KAFKA_SSL_KEY_FILE/);
  });
});
