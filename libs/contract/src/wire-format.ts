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

export function unframe(record: Buffer): { schemaId: number; body: Buffer } {
  if (record.length < HEADER_BYTES) throw new NotWireFormatError(`only ${record.length} bytes`);
  const magic = record.readUInt8(0);
  if (magic !== MAGIC_BYTE) throw new NotWireFormatError(`first byte is ${magic}, not ${MAGIC_BYTE}`);
  return { schemaId: record.readInt32BE(1), body: record.subarray(HEADER_BYTES) };
}
