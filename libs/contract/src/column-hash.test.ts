import { createHash } from 'node:crypto';
import { hmacHex, hmacPads } from './column-hash';

describe('hmacHex and hmacPads', () => {
  it('is RFC 4231 HMAC-SHA-256 (test case 2), lowercase hex', () => {
    expect(hmacHex(Buffer.from('Jefe'), 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('gives padded keys with which sha256(outer || sha256(inner || m)) is the HMAC, for short, block-sized and long keys', () => {
    const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();
    for (const length of [1, 32, 64, 65, 200]) {
      const key = Buffer.alloc(length, 7);
      const { inner, outer } = hmacPads(key);
      const message = Buffer.from('4111111111111111', 'utf8');
      expect(inner).toHaveLength(64);
      expect(sha256(Buffer.concat([outer, sha256(Buffer.concat([inner, message]))])).toString('hex')).toBe(hmacHex(key, '4111111111111111'));
    }
  });
});
