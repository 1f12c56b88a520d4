import { RegistrySerde, createAvroType } from '@paysync/contract';
import { createConsumer, createIdempotentProducer, sendAcked, type Kafka } from '@paysync/kafka';
import { SchemaRegistryClient } from '@paysync/registry';
import { createScratchTopics, testKafka, uniqueName, type ScratchTopics } from '../support/fixtures';
import { stackAddresses } from '../support/stack-addresses';

jest.setTimeout(90_000);

const paymentSchema = {
  type: 'record',
  name: 'Payment',
  namespace: 'paysync.test',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 20, scale: 4 } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};

describe('Avro through the real schema registry and the real broker', () => {
  let kafka: Kafka;
  let topics: ScratchTopics;
  const registry = new SchemaRegistryClient(stackAddresses().PAYSYNC_TEST_REGISTRY_URL);

  beforeAll(async () => {
    kafka = testKafka();
    topics = await createScratchTopics(kafka, ['paysync-test-avro']);
  });
  afterAll(() => topics.drop());

  it('registers the schema, produces with acks=all, consumes and decodes the exact record', async () => {
    const [topic] = topics.names;
    const subject = `${topic}-value`;
    const writer = new RegistrySerde(registry);
    const { schemaId, encode } = await writer.encoderFor(subject, paymentSchema);
    expect(schemaId).toBeGreaterThan(0);
    // The registry really holds it: a second client fetches the same schema by id.
    expect(await registry.fetchSchema(schemaId)).toMatchObject({ name: 'Payment', namespace: 'paysync.test' });
    expect(await registry.register(subject, paymentSchema)).toBe(schemaId);

    const payment = { id: 9007199254740993n, amount: '-12345678901234.5678', note: 'zahlung über €' };
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    const [ack] = await sendAcked(producer, [{ topic, messages: [{ key: '9007199254740993', value: encode(payment) }] }]);
    await producer.disconnect();
    expect(ack.errorCode).toBe(0);

    const consumer = createConsumer(kafka, { groupId: uniqueName('paysync-test-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = new Promise<Buffer>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(message.value as Buffer) });
    });
    const bytes = await received;
    await consumer.disconnect();

    // A fresh serde (empty cache) must resolve the writer schema from the registry by id.
    const decoded = await new RegistrySerde(registry).decode<typeof payment>(bytes);
    expect(decoded.schemaId).toBe(schemaId);
    expect(decoded.value).toEqual(payment);
    expect(createAvroType(paymentSchema).isValid(decoded.value)).toBe(true);
  });

  it('refuses an incompatible new version of a subject', async () => {
    const subject = `${uniqueName('paysync-test-compat')}-value`;
    await registry.register(subject, paymentSchema);
    const incompatible = { ...paymentSchema, fields: [...paymentSchema.fields, { name: 'required_new', type: 'string' }] };
    await expect(registry.register(subject, incompatible)).rejects.toThrow(/incompatible/);
    const compatible = { ...paymentSchema, fields: [...paymentSchema.fields, { name: 'optional_new', type: ['null', 'string'], default: null }] };
    await expect(registry.register(subject, compatible)).resolves.toBeGreaterThan(0);
  });

  it('turns garbage and unknown schema ids into undecodable-record errors', async () => {
    const serde = new RegistrySerde(registry);
    await expect(serde.decode(Buffer.from('not avro at all'))).rejects.toThrow(/wire format/);
    await expect(serde.decode(Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2]))).rejects.toMatchObject({ name: 'UndecodableRecordError' });
  });
});
