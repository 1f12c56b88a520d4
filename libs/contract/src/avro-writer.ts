import type { Type } from 'avsc';
import { HEADER_BYTES, MAGIC_BYTE } from './wire-format';

/** Up to this, 2|n| (the zigzag form) is at most 2^53: exact in double arithmetic. */
const DOUBLE_SAFE = 2n ** 52n;
const NEGATIVE_DOUBLE_SAFE = -DOUBLE_SAFE;
const LONG_MIN = -(2n ** 63n);
const LONG_END = 2n ** 63n;

/** Avro's primitive encodings into a growing buffer; `overflow` means write again into a larger one. */
export class AvroWriter {
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

  /** A zigzag varint of an integer with |n| <= 2^52 (union branches, counts, times, LSNs). */
  long(n: number): void {
    if (!this.room(10)) {
      this.pos += 10;
      return;
    }
    const z = n >= 0 ? n * 2 : -n * 2 - 1;
    if (z < 0x80000000) {
      this.varint32(0, z);
      return;
    }
    // Float % and / cost a library call each; split once into 32-bit halves (exact below 2^53).
    const high = Math.floor(z / 0x100000000);
    this.varint32(high, z - high * 0x100000000);
  }

  bigint(n: bigint): void {
    // The usual case first: two comparisons, then double arithmetic.
    if (typeof n === 'bigint' && n <= DOUBLE_SAFE && n >= NEGATIVE_DOUBLE_SAFE) {
      this.long(Number(n));
      return;
    }
    if (typeof n !== 'bigint' || n < LONG_MIN || n >= LONG_END) throw new Error(`invalid "long": ${String(n)}`);
    if (!this.room(10)) {
      this.pos += 10;
      return;
    }
    // Above 2^52 (a ts_ns): the zigzag form's 32-bit halves from as few BigInt operations as can be.
    if (n >= 0n) this.varint32(Number(n >> 31n), (Number(n & 0x7fffffffn) * 2) >>> 0);
    else {
      const z = (-n << 1n) - 1n;
      this.varint32(Number(z >> 32n), Number(z & 0xffffffffn));
    }
  }

  /** The varint of high * 2^32 + low (both unsigned 32-bit), 7 bits at a time in int arithmetic. */
  private varint32(high: number, low: number): void {
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
    const bytes = this.texts.get(s);
    if (!bytes) {
      // Written as any string the first time; its bytes are kept once they fitted.
      const start = this.pos;
      this.string(s);
      if (this.overflow) return;
      if (this.texts.size >= 64) this.texts.clear();
      this.texts.set(s, Buffer.from(this.buf.subarray(start, this.pos)));
      return;
    }
    if (this.room(bytes.length)) bytes.copy(this.buf, this.pos);
    this.pos += bytes.length;
  }

  /**
   * Room for `length` raw bytes after their length (Avro `bytes`): the offset in `buffer` to write
   * them at, or -1 once the buffer overflowed (the record is written again into a larger one).
   */
  lengthPrefixed(length: number): number {
    this.long(length);
    const at = this.room(length) ? this.pos : -1;
    this.pos += length;
    return at;
  }

  get buffer(): Buffer {
    return this.buf;
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

/**
 * An encoder framing each value with `schemaId` (wire-format.ts), written by `write` into one
 * reused buffer that doubles until the value fits, and copied out once.
 */
export function framedWriter<T>(schemaId: number, write: (out: AvroWriter, value: T) => void): (value: T) => Buffer {
  const out = new AvroWriter();
  return (value) => {
    for (;;) {
      out.reset(schemaId);
      write(out, value);
      if (out.fits()) return out.copy();
      out.grow();
    }
  };
}

/** An encoder of `type`'s values (avsc's generic writer) framed with `schemaId`. */
export function framedEncoder<T>(schemaId: number, type: Type): (value: T) => Buffer {
  return framedWriter<T>(schemaId, (out, value) => out.avro(type, value));
}
