import { createHash, createHmac } from 'node:crypto';

/**
 * The masking hash of PAYSYNC_COLUMN_HASH (docs/security-masking.md): the lowercase hex of
 * HMAC-SHA-256 over a value's PostgreSQL text, UTF-8, under the configured key. Same input and key,
 * same output, so masked columns still join across systems.
 */
export function hmacHex(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

/** SHA-256's block size: RFC 2104's B. */
const BLOCK_BYTES = 64;

/** RFC 2104's padded keys: HMAC(K, m) = sha256(outer || sha256(inner || m)). */
export interface HmacPads {
  inner: Buffer;
  outer: Buffer;
}

/**
 * The padded keys of `key`, so a database with only sha256() (PostgreSQL without pgcrypto) computes
 * the very HMAC capture sends. A key longer than a block is hashed first, as RFC 2104 says.
 */
export function hmacPads(key: Buffer): HmacPads {
  const padded = Buffer.alloc(BLOCK_BYTES);
  (key.length > BLOCK_BYTES ? createHash('sha256').update(key).digest() : key).copy(padded);
  const xor = (byte: number) => Buffer.from(padded.map((b) => b ^ byte));
  return { inner: xor(0x36), outer: xor(0x5c) };
}
