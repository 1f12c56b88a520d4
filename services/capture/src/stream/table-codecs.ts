import { avroFieldName, avroSchemasFor, keySubject, rowFromPgText, topicName, valueSubject, type ChangeEnvelope, type RegistrySerde, type Row, type TableShape } from '@paysync/contract';
import { UNCHANGED_TOAST, type RawTuple } from '@paysync/postgres';

/** Everything needed to turn one table's raw rows into Kafka records, for one schema version. */
export interface TableCodec {
  table: string;
  shape: TableShape;
  topic: string;
  partitions: number;
  keyColumns: string[];
  encodeKey(key: Row): Buffer;
  encodeValue(envelope: ChangeEnvelope): Buffer;
}

export interface DecodedTuple {
  row: Row;
  /** Columns whose value was not sent (unchanged TOAST): apply leaves them alone. */
  unchanged: string[];
}

export function decodeTuple(codec: TableCodec, raw: RawTuple): DecodedTuple {
  const unchanged: string[] = [];
  const text: Record<string, string | null> = {};
  for (const column of codec.shape.columns) {
    const value = raw[column.name];
    if (value === UNCHANGED_TOAST) unchanged.push(avroFieldName(column.name));
    text[column.name] = value === UNCHANGED_TOAST || value === undefined ? null : value;
  }
  return { row: rowFromPgText(codec.shape, text), unchanged };
}

/** The key's primary-key values as PostgreSQL text, as one string: the identity of a row across WAL and snapshot. */
export function keyText(codec: Pick<TableCodec, 'keyColumns'>, raw: Record<string, unknown>): string {
  return JSON.stringify(codec.keyColumns.map((c) => raw[c]));
}

/** Key shapes by codec, built once: keyRow runs for every change. */
const keyShapes = new WeakMap<TableCodec, TableShape>();

export function keyRow(codec: TableCodec, raw: Record<string, unknown>): Row {
  let keyShape = keyShapes.get(codec);
  if (!keyShape) {
    keyShape = { ...codec.shape, columns: codec.shape.columns.filter((c) => codec.keyColumns.includes(c.name)) };
    keyShapes.set(codec, keyShape);
  }
  return rowFromPgText(keyShape, Object.fromEntries(codec.keyColumns.map((c) => [c, raw[c] as string])));
}

function fingerprint(shape: TableShape): string {
  return JSON.stringify([shape.primaryKey, shape.columns.map((c) => [c.name, c.pgType])]);
}

export interface TableCodecOptions {
  serde: RegistrySerde;
  topicPrefix: string;
  /** Creates the topic if missing and returns its partition count. */
  ensureTopic: (topic: string) => Promise<number>;
}

/**
 * One codec per table and schema version. A new shape (after DDL) registers new key and value
 * schemas; the registry refuses an incompatible one, which stops capture with a clear error.
 */
export class TableCodecs {
  private readonly current = new Map<string, { fingerprint: string; codec: TableCodec }>();

  constructor(private readonly options: TableCodecOptions) {}

  get(table: string): TableCodec | undefined {
    return this.current.get(table)?.codec;
  }

  /** The codec for this shape, registering its schemas if the shape is new. */
  async forShape(shape: TableShape): Promise<{ codec: TableCodec; changed: boolean }> {
    const table = `${shape.schema}.${shape.table}`;
    const print = fingerprint(shape);
    const known = this.current.get(table);
    if (known && known.fingerprint === print) return { codec: known.codec, changed: false };
    const topic = topicName(this.options.topicPrefix, shape.schema, shape.table);
    const schemas = avroSchemasFor(shape, this.options.topicPrefix);
    const [key, value, partitions] = await Promise.all([
      this.options.serde.encoderFor<Row>(keySubject(topic), schemas.key),
      this.options.serde.encoderFor<ChangeEnvelope>(valueSubject(topic), schemas.value),
      this.options.ensureTopic(topic),
    ]);
    const codec: TableCodec = {
      table,
      shape,
      topic,
      partitions,
      keyColumns: shape.primaryKey,
      encodeKey: key.encode,
      encodeValue: value.encode,
    };
    this.current.set(table, { fingerprint: print, codec });
    return { codec, changed: known !== undefined };
  }
}
