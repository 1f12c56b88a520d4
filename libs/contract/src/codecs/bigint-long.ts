import { types, type Type } from 'avsc';

/**
 * The eight bytes a long is handed to avsc in. avsc zigzag-encodes them before it asks for the
 * next long, so one buffer serves every write: no allocation per int8 value.
 */
const scratch = Buffer.alloc(8);

/** Avro `long` as JS BigInt: ids, LSNs and microsecond timestamps above 2^53 stay exact. */
export const BigIntLong = types.LongType.__with({
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
 * avsc builds a logical type's underlying `{type: 'long'}` directly, not through the registry
 * that maps `long` to BigInt, so long-based logical types swap it in themselves.
 */
export function useBigIntLong(logical: Type): void {
  (logical as unknown as { _underlyingType: Type })._underlyingType = BigIntLong;
}
