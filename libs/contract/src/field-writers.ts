import type { Type } from 'avsc';
import { framedWriter, type AvroWriter } from './avro-writer';
import { BigIntLong } from './codecs/bigint-long';
import { DecimalType, smallUnscaledLength, writeSmallUnscaled } from './codecs/decimal';
import { TimestampMicrosType } from './codecs/temporal';
import type { Row } from './rows';

/** Writes one value of a field's type (a row value: never null here). */
export type FieldWriter = (out: AvroWriter, value: unknown) => void;

/**
 * The writer of one field's values. The types nearly every payments row has are written straight
 * into the writer: an int8 (avsc would hand it over as eight BigInt bytes to re-pack), a fixed-scale
 * numeric in its usual canonical form (avsc would first allocate its bytes), a timestamp. Anything
 * else, and any value those fast paths do not take, goes through avsc, with its checks and errors.
 * The bytes are avsc's either way: field-writers.test.ts compares them.
 */
export function fieldWriter(type: Type): FieldWriter {
  if (type === BigIntLong) return (out, value) => out.bigint(value as bigint);
  if (type instanceof DecimalType) {
    return (out, value) => {
      const unscaled = type.smallUnscaledOf(value);
      if (unscaled === undefined) return out.avro(type, value);
      const length = smallUnscaledLength(unscaled);
      const at = out.lengthPrefixed(length);
      if (at >= 0) writeSmallUnscaled(unscaled, length, out.buffer, at);
    };
  }
  if (type instanceof TimestampMicrosType) {
    return (out, value) => {
      const micros = type._toValue(value);
      if (micros === undefined) out.avro(type, value);
      else out.bigint(micros);
    };
  }
  return (out, value) => out.avro(type, value);
}

/** A record type's fields, in order. */
export function recordFields(recordType: Type): { name: string; type: Type }[] {
  return (recordType as unknown as { fields: { name: string; type: Type }[] }).fields;
}

/**
 * A key record's encoder (every field required, as avroSchemasFor's Key), framed with `schemaId`:
 * capture encodes a key for every change.
 */
export function keyEncoder(schemaId: number, keyType: Type): (key: Row) => Buffer {
  const fields = recordFields(keyType).map(({ name, type }) => ({ name, write: fieldWriter(type) }));
  return framedWriter<Row>(schemaId, (out, key) => {
    for (const { name, write } of fields) write(out, key[name]);
  });
}
