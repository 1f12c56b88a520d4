import {
  BoundedCache,
  codecFor,
  SchemaNotLoaded,
  shapeFromSchemas,
  tombstoneVersion,
  UndecodableRecordError,
  type ChangeEnvelope,
  type ColumnCodec,
  type RegistrySerde,
  type Row,
} from '@paysync/contract';
import { expectedRowsOf, type Change, type SourceTable } from './row-change';

/** What apply reads of a Kafka record. */
export interface RawRecord {
  key: Buffer | null;
  value: Buffer | null;
  offset: bigint;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

/**
 * Kafka record -> Change. A tombstone (null value) is the delete it follows, at that delete's
 * version (its headers, libs/contract tombstone-version.ts): usually the delete was applied just
 * before and the guard skips it; on a compacted topic it may be all that is left of the delete. A
 * tombstone without them (an older paysync's) gives null. A record that can never be decoded throws UndecodableRecordError (dead-lettered);
 * any other error (registry unreachable) is transient and the batch is retried.
 */
export class RecordDecoder {
  private readonly tables = new BoundedCache<string, SourceTable>(1000);

  constructor(private readonly serde: RegistrySerde) {}

  /**
   * At once when the record's schemas were fetched before (nearly always: a batch costs no promise
   * per record), else a promise that fetches them first.
   */
  decode(record: RawRecord): Change | null | Promise<Change | null> {
    try {
      return this.decodeLoaded(record);
    } catch (err) {
      if (err instanceof SchemaNotLoaded) return this.fetchThenDecode(record, err.schemaId);
      throw err;
    }
  }

  /** A record needs at most three schemas (key, value, a tombstone's value): each try fetches one more. */
  private async fetchThenDecode(record: RawRecord, schemaId: number): Promise<Change | null> {
    await this.serde.schemaFor(schemaId);
    return this.decode(record);
  }

  private decodeLoaded(record: RawRecord): Change | null {
    if (record.value === null) return this.decodeTombstone(record);
    const value = this.serde.decodeLoaded<ChangeEnvelope>(record.value);
    const envelope = value.value;
    const version = { lsn: envelope.source.lsn, seq: envelope.source.seq };
    const commitTimeMs = Number(envelope.source.ts_ms);
    if (envelope.op === 't') {
      return { kind: 'truncate', table: this.tableOf(null, value.schemaId), version, commitTimeMs, offset: record.offset };
    }
    if (record.key === null) throw new UndecodableRecordError(`a ${envelope.op} event without a key`);
    const key = this.serde.decodeLoaded<Row>(record.key);
    const table = this.tableOf(key.schemaId, value.schemaId);
    const row = envelope.op === 'd' ? null : envelope.after;
    if (envelope.op !== 'd' && row === null) throw new UndecodableRecordError(`a ${envelope.op} event without an "after" row`);
    return {
      kind: 'row',
      table,
      rowKey: rowKeyOf(table, key.value),
      key: key.value,
      row,
      unchanged: envelope.unchanged_toast ?? [],
      expected: expectedRowsOf(envelope.op, envelope.before, envelope.after),
      version,
      commitTimeMs,
      offset: record.offset,
    };
  }

  private decodeTombstone(record: RawRecord): Change | null {
    const deleted = tombstoneVersion(record.headers);
    if (!deleted || record.key === null) return null;
    const key = this.serde.decodeLoaded<Row>(record.key);
    const table = this.tableOf(key.schemaId, deleted.valueSchemaId);
    const version = { lsn: deleted.lsn, seq: deleted.seq };
    return { kind: 'row', table, rowKey: rowKeyOf(table, key.value), key: key.value, row: null, unchanged: [], expected: [], version, commitTimeMs: Number(deleted.tsMs), offset: record.offset };
  }

  private tableOf(keySchemaId: number | null, valueSchemaId: number): SourceTable {
    const id = `${keySchemaId}:${valueSchemaId}`;
    const known = this.tables.get(id);
    if (known) return known;
    const keySchema = keySchemaId === null ? null : this.serde.loaded(keySchemaId).schema;
    const valueSchema = this.serde.loaded(valueSchemaId).schema;
    let table: SourceTable;
    try {
      table = shapeFromSchemas(keySchema, valueSchema);
    } catch (err) {
      throw new UndecodableRecordError(`schemas ${keySchemaId}/${valueSchemaId} do not describe a paysync table: ${(err as Error).message}`, err);
    }
    this.tables.set(id, table);
    return table;
  }
}

/** Per source table, its key columns' fields and codecs, in primary-key order. */
const keyColumnsOf = new WeakMap<SourceTable, { name: string; field: string; codec: ColumnCodec }[]>();

/** The key as JSON of its PostgreSQL text values, in primary-key order: same key, same text. */
export function rowKeyOf(table: SourceTable, key: Row): string {
  let columns = keyColumnsOf.get(table);
  if (!columns) {
    columns = table.primaryKey.map((name) => {
      const index = table.columns.findIndex((c) => c.name === name);
      if (index < 0) throw new UndecodableRecordError(`key column ${name} is not among the table's columns`);
      return { name, field: table.fields[index], codec: codecFor(table.columns[index]) };
    });
    keyColumnsOf.set(table, columns);
  }
  return JSON.stringify(
    columns.map(({ name, field, codec }) => {
      const value = key[field];
      if (value === null || value === undefined) throw new UndecodableRecordError(`key column ${name} is null`);
      return codec.toPgText(value);
    }),
  );
}
