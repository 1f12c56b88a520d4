import { createAvroType } from './avro-type';
import { framedEncoder, framedWriter, type AvroWriter } from './avro-writer';
import { frame, unframe } from './wire-format';

describe('framedEncoder', () => {
  const type = createAvroType({ type: 'record', name: 'R', fields: [{ name: 's', type: 'string' }, { name: 'n', type: 'long' }] });

  it('writes the same bytes as toBuffer + frame, for values smaller and larger than its scratch buffer', () => {
    const encode = framedEncoder<{ s: string; n: bigint }>(4242, type);
    for (const value of [{ s: 'a', n: 1n }, { s: 'x'.repeat(100_000), n: -(2n ** 63n) }, { s: 'b', n: 2n ** 63n - 1n }, { s: 'y'.repeat(300_000), n: 0n }]) {
      const framed = encode(value);
      expect(framed.equals(frame(4242, type.toBuffer(value)))).toBe(true);
      expect(unframe(framed).schemaId).toBe(4242);
      expect(type.fromBuffer(unframe(framed).body)).toEqual(value);
    }
  });

  it('returns a buffer of its own: the next encode does not change an earlier record', () => {
    const encode = framedEncoder<{ s: string; n: bigint }>(7, type);
    const first = encode({ s: 'first', n: 1n });
    const copy = Buffer.from(first);
    encode({ s: 'second', n: 2n });
    expect(first.equals(copy)).toBe(true);
  });
});

describe('AvroWriter longs', () => {
  const longType = createAvroType('long' as unknown as object);
  /** Every power of two and its neighbours, both signs: each varint length and each half's boundary. */
  const values: bigint[] = [];
  for (let bit = 0n; bit < 64n; bit++) for (const delta of [-1n, 0n, 1n]) values.push(2n ** bit + delta, -(2n ** bit) + delta);
  const inRange = values.filter((v) => v >= -(2n ** 63n) && v < 2n ** 63n);
  const written = (write: (out: AvroWriter) => void) => {
    const encode = framedWriter<null>(0, (out) => write(out));
    return encode(null).subarray(5).toString('hex');
  };

  it('writes every int64 as avsc does, through bigint()', () => {
    for (const v of inRange) expect([v, written((out) => out.bigint(v))]).toEqual([v, longType.toBuffer(v).toString('hex')]);
  });

  it('writes every number within 2^52 as avsc does, through long()', () => {
    for (const v of inRange.filter((v) => v <= 2n ** 52n && v >= -(2n ** 52n))) {
      expect([v, written((out) => out.long(Number(v)))]).toEqual([v, longType.toBuffer(v).toString('hex')]);
    }
  });
});
