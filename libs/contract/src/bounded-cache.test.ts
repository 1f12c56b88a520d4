import { BoundedCache } from './bounded-cache';
import { frame, unframe } from './wire-format';

describe('BoundedCache', () => {
  it('keeps at most `capacity` entries and evicts the least recently used', () => {
    const cache = new BoundedCache<number, string>(2);
    cache.set(1, 'a');
    cache.set(2, 'b');
    expect(cache.get(1)).toBe('a'); // 2 is now the oldest
    cache.set(3, 'c');
    expect(cache.size).toBe(2);
    expect(cache.get(2)).toBeUndefined();
    expect(cache.get(1)).toBe('a');
    expect(cache.get(3)).toBe('c');
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new BoundedCache(0)).toThrow('positive integer');
  });
});

describe('wire format', () => {
  it('frames and unframes a body with its schema id', () => {
    const framed = frame(4242, Buffer.from([1, 2, 3]));
    expect([...framed.subarray(0, 5)]).toEqual([0, 0, 0, 0x10, 0x92]);
    expect(unframe(framed)).toEqual({ schemaId: 4242, body: Buffer.from([1, 2, 3]) });
  });

  it('rejects garbage', () => {
    expect(() => unframe(Buffer.from('hi'))).toThrow('only 2 bytes');
    expect(() => unframe(Buffer.from('garbage bytes'))).toThrow('first byte is 103');
  });
});
