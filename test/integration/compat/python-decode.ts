import { join } from 'node:path';
import { runBounded } from '../../support/bounded-run';
import type { PythonVenv } from '../../support/python-venv';
import { stackAddresses } from '../../support/stack-addresses';
import { pythonFloatText, type PyValue } from './python-forms';

export const CONFLUENT_KAFKA_VERSION = '2.16.1';
export const FASTAVRO_VERSION = '1.13.1';

/** Confluent's Python client with its Schema Registry and Avro extras, and the fastavro it decodes with. */
export const PYTHON_CLIENT: PythonVenv = {
  name: 'confluent-kafka',
  requirements: [`confluent-kafka[avro,schemaregistry]==${CONFLUENT_KAFKA_VERSION}`, `fastavro==${FASTAVRO_VERSION}`],
  probe: "import confluent_kafka, fastavro; from confluent_kafka.schema_registry.avro import AvroDeserializer; print('confluent-kafka', confluent_kafka.__version__, 'fastavro', fastavro.__version__)",
  expected: `confluent-kafka ${CONFLUENT_KAFKA_VERSION} fastavro ${FASTAVRO_VERSION}`,
};

/** One record as decode_topic.py printed it. */
export interface PythonLine {
  partition: number;
  offset: number;
  headers: Record<string, string>;
  key: PyValue;
  value: PyValue;
  /** What AvroDeserializer raised for the record, which then comes decoded leniently. */
  error?: string;
  lenient?: PyValue;
}

/** Every record of the topic, read from its beginning by decode_topic.py in consumer group `group`. */
export async function decodeWithPython(python: string, topic: string, group: string): Promise<PythonLine[]> {
  const stack = stackAddresses();
  const args = [join(__dirname, 'decode_topic.py'), stack.PAYSYNC_TEST_KAFKA_BROKERS, stack.PAYSYNC_TEST_REGISTRY_URL, topic, group];
  const { stdout } = await runBounded('decode_topic.py', python, args, { PATH: process.env.PATH ?? '' }, 180_000);
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as PythonLine);
}

/** The errors fastavro's datetime readers raise (CPython's wording). */
export const ERRORS_OF_DATETIME = /^(OverflowError|ValueError): /;

/** Floats as comparable texts, and each refused logical value's error checked and set aside (collected in `errors`). */
export function comparable(value: PyValue, errors: Set<string>): PyValue {
  if (value === null) return null;
  const [type, content] = value;
  if (type === 'float') return ['float', pythonFloatText(content as string)];
  if (type === 'list') return ['list', (content as PyValue[]).map((item) => comparable(item, errors))];
  if (type === 'dict') return ['dict', Object.fromEntries(Object.entries(content as Record<string, PyValue>).map(([k, v]) => [k, comparable(v, errors)]))];
  if (type === 'unconverted') {
    const { error, ...rest } = content as { error: string; logicalType: string };
    expect(error).toMatch(ERRORS_OF_DATETIME);
    errors.add(`${rest.logicalType}: ${error}`);
    return ['unconverted', { ...rest, error: 'raised' }];
  }
  return value;
}

export const field = (value: PyValue, name: string): PyValue => (value as ['dict', Record<string, PyValue>])[1][name];
export const intOf = (value: PyValue): bigint => BigInt((value as ['int', string])[1]);

/** The envelope's op, or "tombstone". */
export function opOf(line: PythonLine): string {
  const envelope = line.value ?? line.lenient ?? null;
  return envelope === null ? 'tombstone' : (field(envelope, 'op') as ['str', string])[1];
}
