import { createAvroType } from './avro-type';
import { frame, framedEncoder, unframe } from './wire-format';

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
