import type { Type } from 'avsc';
import { framedWriter, type AvroWriter } from './avro-writer';
import type { ChangeEnvelope } from './change-envelope';
import { fieldWriter, recordFields, type FieldWriter } from './field-writers';
import type { Row } from './rows';

/**
 * The hot path of capture: an envelope written field by field in the order of SOURCE_SCHEMA and
 * avroSchemasFor's Envelope, straight into a reused buffer behind the wire-format header. avsc's
 * generic writer spends about 250 ns on each of the envelope's dozen BigInt longs and on each
 * string; here longs below 2^52 take double arithmetic, and the strings that repeat from event to
 * event (version, connector, name, db, schema, table, op) are encoded once. The rows' values are
 * written one field at a time by field-writers.ts (its usual types directly, the rest by avsc).
 * The bytes are exactly avsc's: its unit test compares them on every kind of envelope.
 */
export function envelopeEncoder(schemaId: number, envelopeType: Type): (envelope: ChangeEnvelope) => Buffer {
  const fields = rowFields(valueRowType(envelopeType));
  return framedWriter<ChangeEnvelope>(schemaId, (out, envelope) => {
    writeRow(out, fields, envelope.before);
    writeRow(out, fields, envelope.after);
    out.text(envelope.op);
    writeSource(out, envelope.source);
    const tx = envelope.transaction;
    if (tx) {
      out.long(1);
      out.string(tx.id);
      out.bigint(tx.total_order);
      out.bigint(tx.data_collection_order);
    } else {
      out.long(0);
    }
    out.bigint(envelope.ts_ms);
    out.optionalBigint(envelope.ts_us);
    out.optionalBigint(envelope.ts_ns);
    const unchanged = envelope.unchanged_toast;
    if (unchanged.length > 0) {
      out.long(unchanged.length);
      for (const field of unchanged) out.string(field);
    }
    out.long(0);
  });
}

function writeSource(out: AvroWriter, source: ChangeEnvelope['source']): void {
  out.text(source.version);
  out.text(source.connector);
  out.text(source.name ?? '');
  out.bigint(source.ts_ms);
  // The union [string, boolean]: a string is branch 0, 0.1's boolean branch 1.
  if (typeof source.snapshot === 'boolean') {
    out.long(1);
    out.byte(source.snapshot ? 1 : 0);
  } else {
    out.long(0);
    out.text(source.snapshot);
  }
  out.text(source.db);
  if (source.sequence === null || source.sequence === undefined) out.long(0);
  else {
    out.long(1);
    out.string(source.sequence);
  }
  out.optionalBigint(source.ts_us);
  out.optionalBigint(source.ts_ns);
  out.text(source.schema);
  out.text(source.table);
  out.optionalBigint(source.txId);
  out.bigint(source.lsn);
  out.optionalBigint(source.xmin);
  out.bigint(source.seq);
}

/** A row record's fields, each `["null", T]` with default null: its name and T's writer. */
type RowFields = { name: string; write: FieldWriter }[];

/**
 * avsc writes a `["null", T]` field by trying the value against each logical branch to choose one
 * (a decimal's or timestamp's check, then its write: about half a row's cost); a row field's
 * branch is known from the value alone, null or not, so T writes it directly. A field left
 * undefined takes its default, null, as avsc's record writer does.
 */
function rowFields(rowType: Type): RowFields {
  return recordFields(rowType).map(({ name, type }) => {
    const branches = (type as Type & { types?: Type[] }).types;
    if (!branches || branches.length !== 2 || branches[0].typeName !== 'null') throw new Error(`row field ${name} is not ["null", T]`);
    return { name, write: fieldWriter(branches[1]) };
  });
}

function writeRow(out: AvroWriter, fields: RowFields, row: Row | null): void {
  if (row === null) {
    out.long(0);
    return;
  }
  out.long(1);
  for (const { name, write } of fields) {
    const value = row[name];
    if (value === null || value === undefined) out.long(0);
    else {
      out.long(1);
      write(out, value);
    }
  }
}

/** The Value record of an envelope type: the branch of `before` that is not null. */
function valueRowType(envelopeType: Type): Type {
  const before = recordFields(envelopeType).find((f) => f.name === 'before');
  const row = (before?.type as (Type & { types?: Type[] }) | undefined)?.types?.find((t) => t.typeName !== 'null');
  if (!row) throw new Error('not a change envelope type: no record in its "before" field');
  return row;
}
