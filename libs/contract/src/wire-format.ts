import type { Type } from 'avsc';

/**
 * Confluent's wire format, which every registry-aware Kafka tool reads: one magic byte 0, the
 * schema id as a big-endian int32, then the Avro binary body.
 */
export const MAGIC_BYTE = 0;
export const HEADER_BYTES = 5;

export class NotWireFormatError extends Error {
  constructor(reason: string) {
    super(`record is not in the schema-registry wire format: ${reason}`);
    this.name = 'NotWireFormatError';
  }
}

export function frame(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out.writeUInt8(MAGIC_BYTE, 0);
  out.writeInt32BE(schemaId, 1);
  body.copy(out, HEADER_BYTES);
  return out;
}

/**
 * An encoder of `type`'s values framed with `schemaId`: the body is written after the header in a
 * reused scratch buffer and copied out once (type.toBuffer then frame() would allocate and copy twice).
 */
export function framedEncoder<T>(schemaId: number, type: Type): (value: T) => Buffer {
  let scratch = Buffer.allocUnsafe(16 * 1024);
  scratch.writeUInt8(MAGIC_BYTE, 0);
  scratch.writeInt32BE(schemaId, 1);
  return (value: T) => {
    let end = type.encode(value, scratch, HEADER_BYTES);
    while (end < 0) {
      // avsc says how many bytes were missing: grow to fit (and keep the header).
      const bigger = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
      scratch.copy(bigger, 0, 0, HEADER_BYTES);
      scratch = bigger;
      end = type.encode(value, scratch, HEADER_BYTES);
    }
    return Buffer.from(scratch.subarray(0, end));
  };
}

export function unframe(record: Buffer): { schemaId: number; body: Buffer } {
  if (record.length < HEADER_BYTES) throw new NotWireFormatError(`only ${record.length} bytes`);
  const magic = record.readUInt8(0);
  if (magic !== MAGIC_BYTE) throw new NotWireFormatError(`first byte is ${magic}, not ${MAGIC_BYTE}`);
  return { schemaId: record.readInt32BE(1), body: record.subarray(HEADER_BYTES) };
}
