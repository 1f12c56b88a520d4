/**
 * The first four bytes of a string's MD5 digest (of its UTF-8), read big-endian: what partitionOf
 * takes from `crypto.hash('md5', text)`. Computed in JavaScript because a key is a few dozen bytes,
 * and for those the call into OpenSSL costs about 1 µs against about 0.4 µs here; every captured
 * row pays it. The digest is RFC 1321's; the unit test compares it with OpenSSL's.
 */

/** Per-round left rotations, and the sine-derived constants (RFC 1321, 3.4). */
const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);

/** Scratch space for the padded message: grown when a key is longer than any before. */
let block = new Uint8Array(128);
/** One 64-byte block as sixteen little-endian words (read byte by byte: any host's byte order). */
const words = new Int32Array(16);
const encoder = new TextEncoder();

function paddedLength(bytes: number): number {
  return (Math.floor((bytes + 8) / 64) + 1) * 64;
}

export function md5FirstWord(text: string): number {
  // A UTF-8 character takes at most 3 bytes per UTF-16 unit.
  const room = paddedLength(text.length * 3);
  if (room > block.length) block = new Uint8Array(room);
  const { written } = encoder.encodeInto(text, block);
  const total = paddedLength(written);
  block.fill(0, written, total);
  block[written] = 0x80;
  // The message's length in bits, little-endian, in the last 8 bytes (keys are far below 2^29 bytes).
  const bits = written * 8;
  for (let i = 0; i < 4; i++) block[total - 8 + i] = (bits >>> (8 * i)) & 0xff;
  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  for (let offset = 0; offset < total; offset += 64) {
    for (let w = 0, at = offset; w < 16; w++, at += 4) words[w] = block[at] | (block[at + 1] << 8) | (block[at + 2] << 16) | (block[at + 3] << 24);
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const sum = (a + f + K[i] + words[g]) | 0;
      const shift = SHIFTS[(i >> 4) * 4 + (i & 3)];
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << shift) | (sum >>> (32 - shift)))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  // The digest starts with a0's bytes, little-endian; read big-endian, that is a0 byte-swapped.
  return ((a0 & 0xff) * 0x1000000 + ((a0 >>> 8) & 0xff) * 0x10000 + ((a0 >>> 16) & 0xff) * 0x100 + (a0 >>> 24)) >>> 0;
}
