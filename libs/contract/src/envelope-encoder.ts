import type { Type } from 'avsc';
import type { ChangeEnvelope } from './change-envelope';
import type { Row } from './rows';
import { MAGIC_BYTE, HEADER_BYTES } from './wire-format';

/**
 * The hot path of capture: an envelope written field by field in the order of SOURCE_SCHEMA and
 * avroSchemasFor's Envelope, straight into a reused buffer behind the wire-format header. avsc's
 * generic writer spends about 250 ns on each of the envelope's dozen BigInt longs and on each
 * string; here longs below 2^52 take double arithmetic, and the strings that repeat from event to
 * event (version, connector, name, db, schema, table, op) are encoded once. The rows' values are
 * written by avsc (their types, logical types and checks), one field at a time: see rowFields.
 * The bytes are exactly avsc's: its unit test compares them on every kind of envelope.
 */
export function envelopeEncoder(schemaId: number, envelopeType: Type): (envelope: ChangeEnvelope) => Buffer {
  const fields = rowFields(valueRowType(envelopeType));
  const out = new Writer();
  return (envelope) => {
    for (;;) {
      out.reset(schemaId);
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
      if (out.fits()) return out.copy();
      out.grow();
    }
  };
}

function writeSource(out: Writer, source: ChangeEnvelope['source']): void {
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

/** A row record's fields, each `["null", T]` with default null: its name and T. */
type RowFields = { name: string; type: Type }[];

/**
 * avsc writes a `["null", T]` field by trying the value against each logical branch to choose one
 * (a decimal's or timestamp's check, then its write: about half a row's cost); a row field's
 * branch is known from the value alone, null or not, so T writes it directly. A field left
 * undefined takes its default, null, as avsc's record writer does.
 */
function rowFields(rowType: Type): RowFields {
  const fields = (rowType as unknown as { fields: { name: string; type: Type & { types?: Type[] } }[] }).fields;
  return fields.map(({ name, type }) => {
    const branches = type.types;
    if (!branches || branches.length !== 2 || branches[0].typeName !== 'null') throw new Error(`row field ${name} is not ["null", T]`);
    return { name, type: branches[1] };
  });
}

function writeRow(out: Writer, fields: RowFields, row: Row | null): void {
  if (row === null) {
    out.long(0);
    return;
  }
  out.long(1);
  for (const { name, type } of fields) {
    const value = row[name];
    if (value === null || value === undefined) out.long(0);
    else {
      out.long(1);
      out.avro(type, value);
    }
  }
}

/** The Value record of an envelope type: the branch of `before` that is not null. */
function valueRowType(envelopeType: Type): Type {
  const before = (envelopeType as unknown as { fields: { name: string; type: { types: Type[] } }[] }).fields.find((f) => f.name === 'before');
  const row = before?.type.types.find((t) => t.typeName !== 'null');
  if (!row) throw new Error('not a change envelope type: no record in its "before" field');
  return row;
}

/** Up to this, 2|n| (the zigzag form) is at most 2^53: exact in double arithmetic. */
const DOUBLE_SAFE = 2n ** 52n;
const LONG_MIN = -(2n ** 63n);
const LONG_END = 2n ** 63n;

/** The zigzag varint of a length (a non-negative number below 2^31). */
function varint(n: number): Buffer {
  const bytes: number[] = [];
  let z = n * 2;
  while (z >= 128) {
    bytes.push((z % 128) | 0x80);
    z = Math.floor(z / 128);
  }
  bytes.push(z);
  return Buffer.from(bytes);
}

/** Avro's primitive encodings into a growing buffer; `overflow` means write again into a larger one. */
class Writer {
  private buf = Buffer.allocUnsafe(16 * 1024);
  private pos = 0;
  private overflow = false;
  /** The bytes of recently written repeating strings (length prefix included). */
  private readonly texts = new Map<string, Buffer>();

  reset(schemaId: number): void {
    this.pos = HEADER_BYTES;
    this.overflow = false;
    this.buf[0] = MAGIC_BYTE;
    this.buf.writeInt32BE(schemaId, 1);
  }

  fits(): boolean {
    return !this.overflow;
  }

  grow(): void {
    this.buf = Buffer.allocUnsafe(this.buf.length * 2);
  }

  copy(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  private room(bytes: number): boolean {
    if (this.pos + bytes <= this.buf.length) return true;
    this.overflow = true;
    return false;
  }

  byte(b: number): void {
    if (this.room(1)) this.buf[this.pos] = b;
    this.pos += 1;
  }

  /** A zigzag varint of an integer with |n| <= 2^52 (union branches, counts). */
  long(n: number): void {
    if (!this.room(10)) {
      this.pos += 10;
      return;
    }
    let z = n >= 0 ? n * 2 : -n * 2 - 1;
    while (z >= 128) {
      this.buf[this.pos++] = (z % 128) | 0x80;
      z = Math.floor(z / 128);
    }
    this.buf[this.pos++] = z;
  }

  bigint(n: bigint): void {
    // The usual case first: two comparisons, then double arithmetic.
    if (typeof n === 'bigint' && n <= DOUBLE_SAFE && n >= -DOUBLE_SAFE) {
      this.long(Number(n));
      return;
    }
    if (typeof n !== 'bigint' || n < LONG_MIN || n >= LONG_END) throw new Error(`invalid "long": ${String(n)}`);
    if (!this.room(10)) {
      this.pos += 10;
      return;
    }
    // Above 2^52 (a ts_ns): the zigzag form as two 32-bit halves, then 7 bits at a time in int arithmetic.
    const z = n >= 0n ? n << 1n : (-n << 1n) - 1n;
    let low = Number(z & 0xffffffffn);
    let high = Number(z >> 32n);
    while (high > 0 || low > 127) {
      this.buf[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | ((high & 0x7f) << 25)) >>> 0;
      high >>>= 7;
    }
    this.buf[this.pos++] = low;
  }

  optionalBigint(n: bigint | null | undefined): void {
    if (n === null || n === undefined) {
      this.long(0);
      return;
    }
    this.long(1);
    this.bigint(n);
  }

  string(s: string): void {
    if (typeof s !== 'string') throw new Error(`invalid "string": ${String(s)}`);
    const length = Buffer.byteLength(s);
    this.long(length);
    if (this.room(length)) this.buf.write(s, this.pos, length, 'utf8');
    this.pos += length;
  }

  /** A string that repeats from event to event: its bytes are kept (a few distinct values per table). */
  text(s: string): void {
    let bytes = this.texts.get(s);
    if (!bytes) {
      if (typeof s !== 'string') throw new Error(`invalid "string": ${String(s)}`);
      const body = Buffer.from(s, 'utf8');
      bytes = Buffer.concat([varint(body.length), body]);
      if (this.texts.size >= 64) this.texts.clear();
      this.texts.set(s, bytes);
    }
    if (this.room(bytes.length)) bytes.copy(this.buf, this.pos);
    this.pos += bytes.length;
  }

  avro(type: Type, value: unknown): void {
    if (this.overflow) return;
    const end = type.encode(value, this.buf, this.pos);
    if (end < 0) {
      this.overflow = true;
      this.pos = this.buf.length;
    } else {
      this.pos = end;
    }
  }
}
