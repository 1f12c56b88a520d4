import {
  avroFieldName,
  avroSchemasFor,
  envelopeEncoder,
  keyEncoder,
  keySubject,
  partitionOf,
  rowFromPgText,
  topicName,
  TRUNCATE_KEY_SCHEMA,
  truncateKeySubject,
  valueSubject,
  type ChangeEnvelope,
  type ColumnPolicy,
  type RegistrySerde,
  type Row,
  type TableMask,
  type TableShape,
  type TruncateKey,
} from '@paysync/contract';
import { UNCHANGED_TOAST, type RawTuple } from '@paysync/postgres';

/** Everything needed to turn one table's raw rows into Kafka records, for one schema version. */
export interface TableCodec {
  table: string;
  /** The shape events carry: the source's, less PAYSYNC_COLUMN_EXCLUDE, PAYSYNC_COLUMN_HASH as text. */
  shape: TableShape;
  /** The table as the source holds it: what snapshot and re-read queries read. */
  sourceShape: TableShape;
  /** A raw row as it may leave capture (excluded columns dropped, hashed ones replaced by their HMAC). */
  mask: TableMask['maskRow'];
  topic: string;
  partitions: number;
  keyColumns: string[];
  encodeKey(key: Row): Buffer;
  encodeValue(envelope: ChangeEnvelope): Buffer;
  /** The registry id of the value schema: a tombstone names it (libs/contract tombstone-version.ts). */
  valueSchemaId: number;
  /** The key of the table's truncate events (libs/contract truncate-key.ts). */
  truncateKey: Buffer;
}

export interface DecodedTuple {
  row: Row;
  /** Columns whose value was not sent (unchanged TOAST): apply leaves them alone. */
  unchanged: string[];
}

/** A raw tuple (WAL or snapshot) as the event's row; every row of an event goes through here, masked. */
export function decodeTuple(codec: TableCodec, raw: RawTuple): DecodedTuple {
  const masked = codec.mask(raw);
  const unchanged: string[] = [];
  for (const column of codec.shape.columns) if (masked[column.name] === UNCHANGED_TOAST) unchanged.push(avroFieldName(column.name));
  // Usually every value came (an insert, a snapshot row): the tuple is read as it is.
  if (unchanged.length === 0) return { row: rowFromPgText(codec.shape, masked as Record<string, string | null>), unchanged };
  const text: Record<string, string | null> = {};
  for (const column of codec.shape.columns) {
    const value = masked[column.name];
    text[column.name] = value === UNCHANGED_TOAST || value === undefined ? null : value;
  }
  return { row: rowFromPgText(codec.shape, text), unchanged };
}

/**
 * An update's after image with its unchanged TOAST values taken from a full before image
 * (REPLICA IDENTITY FULL), so it is complete for a consumer that knows nothing of `unchanged_toast`.
 */
export function completedFrom(after: DecodedTuple, before: DecodedTuple | null): DecodedTuple {
  if (!before || after.unchanged.length === 0) return after;
  const row = { ...after.row };
  const unchanged = after.unchanged.filter((field) => {
    if (before.unchanged.includes(field)) return true;
    row[field] = before.row[field];
    return false;
  });
  return { row, unchanged };
}

/** The key's primary-key values as PostgreSQL text, as one string: the identity of a row across WAL and snapshot. */
export function keyText(codec: Pick<TableCodec, 'keyColumns'>, raw: Record<string, unknown>): string {
  return JSON.stringify(codec.keyColumns.map((c) => raw[c]));
}

/** Key shapes by codec, built once: keyOf runs for every change. */
const keyShapes = new WeakMap<TableCodec, TableShape>();

function keyColumnsOf(codec: TableCodec, raw: Record<string, unknown>): Record<string, string> {
  const key: Record<string, string> = {};
  for (const column of codec.keyColumns) key[column] = raw[column] as string;
  return key;
}

/**
 * A row's Kafka key and partition, both from the key as it travels (a hashed key column: its
 * HMAC), so stream, snapshot and re-read put one row in one partition and no raw value chooses it.
 */
export function keyOf(codec: TableCodec, raw: Record<string, unknown>): { key: Buffer; partition: number } {
  let keyShape = keyShapes.get(codec);
  if (!keyShape) {
    keyShape = { ...codec.shape, columns: codec.shape.columns.filter((c) => codec.keyColumns.includes(c.name)) };
    keyShapes.set(codec, keyShape);
  }
  const masked = codec.mask(keyColumnsOf(codec, raw));
  return { key: codec.encodeKey(rowFromPgText(keyShape, masked)), partition: partitionOf(keyText(codec, masked), codec.partitions) };
}

function fingerprint(shape: TableShape): string {
  return JSON.stringify([shape.primaryKey, shape.columns.map((c) => [c.name, c.pgType])]);
}

export interface TableCodecOptions {
  serde: RegistrySerde;
  topicPrefix: string;
  /** PAYSYNC_COLUMN_EXCLUDE and PAYSYNC_COLUMN_HASH: applied to every shape and row here. */
  columnPolicy: ColumnPolicy;
  /** Creates the topic if missing and returns its partition count. */
  ensureTopic: (topic: string) => Promise<number>;
}

/**
 * One codec per table and schema version. A new shape (after DDL) registers new key and value
 * schemas; the registry refuses an incompatible one, which stops capture with a clear error. A
 * shape the column policy no longer fits (a protected column renamed or dropped) stops it too.
 */
export class TableCodecs {
  private readonly current = new Map<string, { fingerprint: string; codec: TableCodec }>();

  constructor(private readonly options: TableCodecOptions) {}

  get(table: string): TableCodec | undefined {
    return this.current.get(table)?.codec;
  }

  /** The codec for this shape (as the source has it), registering its schemas if the shape is new. */
  async forShape(shape: TableShape): Promise<{ codec: TableCodec; changed: boolean }> {
    const table = `${shape.schema}.${shape.table}`;
    const print = fingerprint(shape);
    const known = this.current.get(table);
    if (known && known.fingerprint === print) return { codec: known.codec, changed: false };
    const masked = this.options.columnPolicy.forTable(shape);
    const topic = topicName(this.options.topicPrefix, shape.schema, shape.table);
    const schemas = avroSchemasFor(masked.shape, this.options.topicPrefix);
    const [key, value, truncateKey, partitions] = await Promise.all([
      this.options.serde.encoderFor<Row>(keySubject(topic), schemas.key, keyEncoder),
      this.options.serde.encoderFor<ChangeEnvelope>(valueSubject(topic), schemas.value, envelopeEncoder),
      this.options.serde.encoderFor<TruncateKey>(truncateKeySubject(topic), TRUNCATE_KEY_SCHEMA),
      this.options.ensureTopic(topic),
    ]);
    const codec: TableCodec = {
      table,
      shape: masked.shape,
      sourceShape: shape,
      mask: masked.maskRow,
      topic,
      partitions,
      keyColumns: shape.primaryKey,
      encodeKey: key.encode,
      encodeValue: value.encode,
      valueSchemaId: value.schemaId,
      truncateKey: truncateKey.encode({ table }),
    };
    this.current.set(table, { fingerprint: print, codec });
    return { codec, changed: known !== undefined };
  }
}
