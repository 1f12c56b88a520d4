import { Type } from 'avsc';
import { createAvroType } from '../avro-type';

/** The reference coding: zigzag, then base-128 varint, computed in BigInt. */
function varint(n: bigint): Buffer {
  let z = n >= 0n ? n << 1n : (-n << 1n) - 1n;
  const bytes: number[] = [];
  do {
    let b = Number(z & 0x7fn);
    z >>= 7n;
    if (z > 0n) b |= 0x80;
    bytes.push(b);
  } while (z > 0n);
  return Buffer.from(bytes);
}

describe('BigIntLong', () => {
  const long = createAvroType({ type: 'record', name: 'R', fields: [{ name: 'n', type: 'long' }] });
  const edges = [0n, 1n, -1n, 63n, -64n, 64n, 2n ** 30n, -(2n ** 30n), 2n ** 31n, 2n ** 49n - 1n, 2n ** 49n, 2n ** 52n, -(2n ** 52n), 2n ** 52n + 1n, -(2n ** 52n) - 1n, 2n ** 53n - 1n, -(2n ** 53n) + 1n, 2n ** 53n, -(2n ** 53n), -(2n ** 53n) - 1n, 2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n), -(2n ** 32n) - 1n, 2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n)];
  const random = Array.from({ length: 2000 }, (_, i) => {
    const bits = BigInt(i % 64);
    const magnitude = BigInt(Math.floor(Math.random() * 2 ** 31)) * BigInt(Math.floor(Math.random() * 2 ** 31)) % (1n << bits || 1n);
    return i % 2 ? -magnitude : magnitude;
  });

  it.each(edges.map((n) => [n]))('writes %p as its zigzag varint and reads it back exactly', (n) => {
    const bytes = long.toBuffer({ n });
    expect(bytes.toString('hex')).toBe(varint(n).toString('hex'));
    expect(long.fromBuffer(bytes)).toEqual({ n });
  });

  it('agrees with the reference coding on 2,000 values of every size', () => {
    for (const n of random) {
      const bytes = long.toBuffer({ n });
      expect({ n, hex: bytes.toString('hex') }).toEqual({ n, hex: varint(n).toString('hex') });
      expect(long.fromBuffer(bytes)).toEqual({ n });
    }
  });

  it('reads what a plain Avro long writer wrote (numbers), and refuses what is not a BigInt', () => {
    const plain = Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 'n', type: 'long' }] });
    for (const n of [0, -1, 2 ** 40, -(2 ** 50), 2 ** 52]) expect(long.fromBuffer(plain.toBuffer({ n }))).toEqual({ n: BigInt(n) });
    expect(() => long.toBuffer({ n: 5 })).toThrow();
    expect(() => long.fromBuffer(Buffer.from([0x80]))).toThrow(); // truncated varint
  });
});
