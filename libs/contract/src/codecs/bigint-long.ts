import { types, type Type } from 'avsc';

/** Avro `long` as JS BigInt: ids, LSNs and microsecond timestamps above 2^53 stay exact. */
export const BigIntLong = types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(n);
    return buf;
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
