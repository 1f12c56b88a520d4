import { avroSchemasFor, COMMIT_MARKER_HEADER, keySubject, readTableShape, RegistrySerde, rowFromPgText, topicName, valueSubject, type ChangeEnvelope, type Row, type TableShape } from '@paysync/contract';
import type { Pool } from '@paysync/postgres';
import { SchemaRegistryClient } from '@paysync/registry';
import { stackAddresses } from './stack-addresses';
import { testEnvelope } from './test-envelope';

/** A record's key and value as capture writes them (Kafka's partition and headers left to the writer). */
export interface EncodedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string>;
}

/**
 * A source table's changes encoded as capture encodes them (registry-framed Avro key and envelope,
 * the schemas registered under the topic's subjects), for tests that write a topic themselves.
 */
export class ChangeRecords {
  private constructor(
    readonly topic: string,
    private readonly shape: TableShape,
    private readonly encodeKey: (key: Row) => Buffer,
    private readonly encodeValue: (envelope: ChangeEnvelope) => Buffer,
  ) {}

  /** `table` (schema.table) as the source database has it, on the topic of `prefix`. */
  static async of(pool: Pool, prefix: string, table: string): Promise<ChangeRecords> {
    const [schema, name] = table.split('.');
    const shape = await readTableShape(pool, schema, name);
    const topic = topicName(prefix, schema, name);
    const schemas = avroSchemasFor(shape, prefix);
    const serde = new RegistrySerde(new SchemaRegistryClient(stackAddresses().PAYSYNC_TEST_REGISTRY_URL));
    const key = await serde.encoderFor<Row>(keySubject(topic), schemas.key);
    const value = await serde.encoderFor<ChangeEnvelope>(valueSubject(topic), schemas.value);
    return new ChangeRecords(topic, shape, key.encode, value.encode);
  }

  /** An insert or update to `row` (PostgreSQL text by column) at version (lsn, seq). */
  upsert(row: Record<string, string>, lsn: bigint, seq: bigint): EncodedRecord {
    const after = rowFromPgText(this.shape, row);
    return { key: this.encodeKey(this.keyOf(row)), value: this.encodeValue(this.envelope('u', null, after, lsn, seq)) };
  }

  /** A delete of the row with this key at version (lsn, seq), and the tombstone capture writes after it. */
  delete(key: Record<string, string>, lsn: bigint, seq: bigint): { event: EncodedRecord; tombstone: EncodedRecord } {
    const encodedKey = this.encodeKey(this.keyOf(key));
    return { event: { key: encodedKey, value: this.encodeValue(this.envelope('d', this.keyOf(key), null, lsn, seq)) }, tombstone: { key: encodedKey, value: null } };
  }

  private keyOf(row: Record<string, string>): Row {
    return rowFromPgText({ columns: this.shape.columns.filter((c) => this.shape.primaryKey.includes(c.name)) }, row);
  }

  private envelope(op: ChangeEnvelope['op'], before: Row | null, after: Row | null, lsn: bigint, seq: bigint): ChangeEnvelope {
    return testEnvelope({ op, before, after, schema: this.shape.schema, table: this.shape.table, lsn, seq, tsMs: BigInt(Date.now()), snapshot: false });
  }
}

/** The transaction topic's marker after a source transaction's changes. */
export function sourceCommitMarker(lsn: bigint): EncodedRecord {
  return { key: null, value: null, headers: { [COMMIT_MARKER_HEADER]: lsn.toString() } };
}
