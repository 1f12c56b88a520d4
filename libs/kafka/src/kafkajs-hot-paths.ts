/**
 * Three of kafkajs' per-message costs, replaced without forking it. kafkajs is pinned (2.2.4, in
 * maintenance since 2023) and a CPU profile of capture found them among its hottest functions:
 *
 * - A send groups its messages per partition by copying the partition's array for every message,
 *   so a batch of n messages costs n²/2 copies and n arrays of garbage; here each message is pushed
 *   once, into the same groups in the same order.
 * - The record batch's CRC32C is computed a byte at a time; here eight bytes at a time (the
 *   slicing-by-8 method, the same checksum).
 * - Each record is encoded into a fresh zero-filled 512-byte buffer, with a Buffer allocated for
 *   every varint; here into one buffer of its exact size.
 *
 * The three modules are replaced in Node's module cache before kafkajs' producer loads them, which is
 * why this file is imported first in this library's index. Another kafkajs version is left alone:
 * its internals may differ, and the unit test names the version this was checked against.
 */
import { createRequire } from 'node:module';

export const PATCHED_KAFKAJS_VERSION = '2.2.4';

const requireFromHere = createRequire(__filename);

interface GroupArgs<M> {
  topic: string;
  partitionMetadata: unknown[];
  messages: M[];
  partitioner: (args: { topic: string; partitionMetadata: unknown[]; message: M }) => number;
}

/** kafkajs' groupMessagesPerPartition, linear: `{ [partition]: messages in send order }`. */
export function groupMessagesPerPartition<M>({ topic, partitionMetadata, messages, partitioner }: GroupArgs<M>): Record<number, M[]> {
  const groups: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return groups;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const group = groups[partition];
    if (group) group.push(message);
    else groups[partition] = [message];
  }
  return groups;
}

/** CRC32C (Castagnoli, reflected polynomial 0x82F63B78) tables for slicing-by-8: table k at k * 256. */
const TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/** The CRC32C of a buffer as an unsigned 32-bit integer, as kafkajs' recordBatch/crc32C returns it. */
export function crc32c(buffer: Uint8Array): number {
  const t = TABLES;
  let crc = -1;
  let i = 0;
  for (const end = buffer.length - 8; i <= end; i += 8) {
    const low = crc ^ (buffer[i] | (buffer[i + 1] << 8) | (buffer[i + 2] << 16) | (buffer[i + 3] << 24));
    crc =
      t[1792 + (low & 0xff)] ^
      t[1536 + ((low >>> 8) & 0xff)] ^
      t[1280 + ((low >>> 16) & 0xff)] ^
      t[1024 + (low >>> 24)] ^
      t[768 + buffer[i + 4]] ^
      t[512 + buffer[i + 5]] ^
      t[256 + buffer[i + 6]] ^
      t[buffer[i + 7]];
  }
  for (; i < buffer.length; i++) crc = t[(crc ^ buffer[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

type Bytes = Buffer | string | null | undefined;

interface RecordFields {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Bytes;
  value?: Bytes;
  headers?: Record<string, Bytes | Bytes[]>;
}

/** What kafkajs' record batch reads of an encoded record: an Encoder's `buf` and `buffer`. */
interface EncodedRecord {
  buf: Buffer;
  buffer: Buffer;
  offset: number;
  size(): number;
}

/** Zigzag of an int32, as the unsigned number a varint carries. */
const zigzag32 = (n: number): number => ((n << 1) ^ (n >> 31)) >>> 0;

function uvarintSize(z: number): number {
  let size = 1;
  while (z > 127) {
    z = Math.floor(z / 128);
    size++;
  }
  return size;
}

/** Zigzag of a varlong (|n| < 2^52, a timestamp delta), as a double. */
const zigzag64 = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);

function writeUvarint(out: Buffer, at: number, z: number): number {
  while (z > 127) {
    out[at++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  out[at++] = z;
  return at;
}

const byteLength = (bytes: Bytes): number => (bytes == null ? -1 : Buffer.isBuffer(bytes) ? bytes.length : Buffer.byteLength(String(bytes)));
const bytesSize = (length: number): number => uvarintSize(zigzag32(length)) + Math.max(length, 0);

function writeBytes(out: Buffer, at: number, bytes: Bytes, length: number): number {
  at = writeUvarint(out, at, zigzag32(length));
  if (bytes == null) return at;
  if (Buffer.isBuffer(bytes)) bytes.copy(out, at);
  else out.write(String(bytes), at, length, 'utf8');
  return at + length;
}

/** kafkajs' record/v0 (length, attributes, timestamp delta, offset delta, key, value, headers), in one exact buffer. */
export function encodeRecord({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: RecordFields): EncodedRecord {
  const headerList: { key: string; value: Bytes; keyLength: number; valueLength: number }[] = [];
  for (const name of Object.keys(headers)) {
    const values = headers[name];
    for (const item of Array.isArray(values) ? values : [values]) headerList.push({ key: name, value: item, keyLength: Buffer.byteLength(name), valueLength: byteLength(item) });
  }
  const keyLength = byteLength(key);
  const valueLength = byteLength(value);
  let body = 1 + uvarintSize(zigzag64(timestampDelta)) + uvarintSize(zigzag32(offsetDelta)) + bytesSize(keyLength) + bytesSize(valueLength);
  body += uvarintSize(zigzag32(headerList.length));
  for (const header of headerList) body += bytesSize(header.keyLength) + bytesSize(header.valueLength);
  const size = uvarintSize(zigzag32(body)) + body;
  const out = Buffer.allocUnsafe(size);
  let at = writeUvarint(out, 0, zigzag32(body));
  out[at++] = 0; // attributes: none
  at = writeUvarint(out, at, zigzag64(timestampDelta));
  at = writeUvarint(out, at, zigzag32(offsetDelta));
  at = writeBytes(out, at, key, keyLength);
  at = writeBytes(out, at, value, valueLength);
  at = writeUvarint(out, at, zigzag32(headerList.length));
  for (const header of headerList) {
    at = writeBytes(out, at, header.key, header.keyLength);
    at = writeBytes(out, at, header.value, header.valueLength);
  }
  return { buf: out, buffer: out, offset: size, size: () => size };
}

/** Makes `require(path)` return `replacement` from now on; the module is loaded first so its cache entry exists. */
function replaceModule(path: string, replacement: unknown): void {
  const resolved = requireFromHere.resolve(path);
  requireFromHere(resolved);
  const cached = requireFromHere.cache[resolved];
  if (cached) cached.exports = replacement;
}

function install(): void {
  const { version } = requireFromHere('kafkajs/package.json') as { version: string };
  if (version !== PATCHED_KAFKAJS_VERSION) return;
  replaceModule('kafkajs/src/producer/groupMessagesPerPartition', groupMessagesPerPartition);
  replaceModule('kafkajs/src/protocol/recordBatch/crc32C', crc32c);
  replaceModule('kafkajs/src/protocol/recordBatch/record/v0', encodeRecord);
}

install();
