import { hash, randomBytes } from 'node:crypto';
import { md5FirstWord } from './md5-first-word';

const openssl = (text: string): number => hash('md5', text, 'buffer').readUInt32BE(0);

describe('md5FirstWord', () => {
  it("is the first word of OpenSSL's MD5 digest, for keys of every length around the block edges", () => {
    for (let length = 0; length <= 200; length++) {
      const text = randomBytes(length).toString('base64').slice(0, length);
      expect(md5FirstWord(text)).toBe(openssl(text));
    }
  });

  it('hashes the UTF-8 of the text, whatever its characters', () => {
    for (const text of ['["1"]', '["42","EUR"]', '["zürich","€"]', '["𝄞 clef"]', `["${'é'.repeat(300)}"]`, '']) expect(md5FirstWord(text)).toBe(openssl(text));
  });

  it('gives the same answer again after a longer key grew its scratch space', () => {
    const short = '["7"]';
    const before = md5FirstWord(short);
    md5FirstWord('x'.repeat(5000));
    expect(md5FirstWord(short)).toBe(before);
    expect(before).toBe(openssl(short));
  });
});
