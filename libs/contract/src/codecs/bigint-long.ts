import { types, type Type } from 'avsc';

/**
 * The eight bytes a long is handed to avsc in. avsc zigzag-encodes them before it asks for the
 * next long, so one buffer serves every write: no allocation per int8 value.
 */
const scratch = Buffer.alloc(8);

const viaBuffers = types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    scratch.writeBigInt64LE(n);
    return scratch;
  },
  fromJSON: (json: unknown) => BigInt(json as string | number),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/**
 * Reads a zigzag varint long straight from the tap into a BigInt, in two 32-bit halves. avsc
 * unpacked each long into a new 8-byte Buffer first (about ten longs per change event). A value
 * within ±2^53 (nearly all: ids, times in ms and µs, LSNs) becomes a BigInt from one double.
 */
function readBigIntLong(tap: { buf: Buffer; pos: number }): bigint | undefined {
  const buf = tap.buf;
  let pos = tap.pos;
  let lo = 0;
  let hi = 0;
  let b = 0x80;
  for (let shift = 0; shift < 28 && b & 0x80; shift += 7) {
    b = buf[pos++];
    lo |= (b & 0x7f) << shift;
  }
  if (b & 0x80) {
    b = buf[pos++];
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    for (let shift = 3; shift < 32 && b & 0x80; shift += 7) {
      b = buf[pos++];
      hi |= (b & 0x7f) << shift;
    }
  }
  tap.pos = pos;
  if (pos > buf.length) return undefined; // truncated: avsc sees the tap invalid and throws
  // zigzag: (n >>> 1) ^ -(n & 1), over both halves
  const negative = lo & 1;
  let low = ((lo >>> 1) | (hi << 31)) >>> 0;
  let high = hi >>> 1;
  if (negative) {
    low = ~low >>> 0;
    high = ~high;
  }
  high |= 0;
  if (high >= -0x200000 && high < 0x200000) return BigInt(high * 0x100000000 + low);
  return BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(low));
}

/**
 * Avro `long` as JS BigInt: ids, LSNs and microsecond timestamps above 2^53 stay exact. avsc
 * freezes its types, so the reader is an own property of an object inheriting the rest.
 */
export const BigIntLong: Type = Object.freeze(Object.assign(Object.create(viaBuffers) as Type, { _read: readBigIntLong }));

/**
 * avsc builds a logical type's underlying `{type: 'long'}` directly, not through the registry
 * that maps `long` to BigInt, so long-based logical types swap it in themselves.
 */
export function useBigIntLong(logical: Type): void {
  (logical as unknown as { _underlyingType: Type })._underlyingType = BigIntLong;
}
