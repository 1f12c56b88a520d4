import type { Type } from 'avsc';
import { UnknownSchemaIdError, type SchemaRegistryClient } from '@paysync/registry';
import { createAvroType } from './avro-type';
import { BoundedCache } from './bounded-cache';
import { framedEncoder } from './avro-writer';
import { NotWireFormatError, unframe } from './wire-format';

/**
 * A record that can never be decoded, whatever is retried: garbage bytes, a schema id the
 * registry does not know, a body that does not match its schema. Consumers dead-letter it.
 */
export class UndecodableRecordError extends Error {
  constructor(reason: string, override readonly cause?: unknown) {
    super(reason);
    this.name = 'UndecodableRecordError';
  }
}

/** decodeLoaded met a schema id not fetched yet: the caller awaits schemaFor(schemaId) and tries again. */
export class SchemaNotLoaded extends Error {
  constructor(readonly schemaId: number) {
    super(`schema ${schemaId} is not fetched yet`);
    this.name = 'SchemaNotLoaded';
  }
}

export interface DecodedRecord<T> {
  schemaId: number;
  value: T;
}

/**
 * Avro encoding and decoding through the registry. Writers register a schema once and then encode
 * synchronously (the hot path makes no request); readers resolve a schema id once per id, keeping
 * at most `maxCachedSchemas` parsed schemas.
 */
export class RegistrySerde {
  private readonly byId: BoundedCache<number, { schema: object; type: Type }>;

  constructor(
    private readonly registry: SchemaRegistryClient,
    options: { maxCachedSchemas?: number } = {},
  ) {
    this.byId = new BoundedCache(options.maxCachedSchemas ?? 1000);
  }

  /**
   * Registers `schema` under `subject` and returns a synchronous encoder framing values with its id
   * (`build`: one specialised for the type, such as envelopeEncoder).
   */
  async encoderFor<T>(
    subject: string,
    schema: object,
    build: (schemaId: number, type: Type) => (value: T) => Buffer = framedEncoder,
  ): Promise<{ schemaId: number; encode: (value: T) => Buffer }> {
    const schemaId = await this.registry.register(subject, schema);
    const type = createAvroType(schema);
    this.byId.set(schemaId, { schema, type });
    return { schemaId, encode: build(schemaId, type) };
  }

  async decode<T>(record: Buffer): Promise<DecodedRecord<T>> {
    const framed = unframed(record);
    return read(framed, (await this.schemaFor(framed.schemaId)).type);
  }

  /** As decode, without waiting: throws SchemaNotLoaded when the record's schema was not fetched yet (schemaFor fetches it). */
  decodeLoaded<T>(record: Buffer): DecodedRecord<T> {
    const framed = unframed(record);
    return read(framed, this.loaded(framed.schemaId).type);
  }

  /** A schema already fetched, else SchemaNotLoaded. */
  loaded(schemaId: number): { schema: object; type: Type } {
    const cached = this.byId.get(schemaId);
    if (!cached) throw new SchemaNotLoaded(schemaId);
    return cached;
  }

  /** The writer's schema of an id (as JSON, and parsed), fetched once; unknown ids are undecodable. */
  async schemaFor(schemaId: number): Promise<{ schema: object; type: Type }> {
    const cached = this.byId.get(schemaId);
    if (cached) return cached;
    let schema: object;
    try {
      schema = await this.registry.fetchSchema(schemaId);
    } catch (err) {
      if (err instanceof UnknownSchemaIdError) throw new UndecodableRecordError(err.message, err);
      throw err; // registry unreachable: transient, the caller retries
    }
    const entry = { schema, type: createAvroType(schema) };
    this.byId.set(schemaId, entry);
    return entry;
  }
}

function unframed(record: Buffer): { schemaId: number; body: Buffer } {
  try {
    return unframe(record);
  } catch (err) {
    if (err instanceof NotWireFormatError) throw new UndecodableRecordError(err.message, err);
    throw err;
  }
}

function read<T>(framed: { schemaId: number; body: Buffer }, type: Type): DecodedRecord<T> {
  try {
    return { schemaId: framed.schemaId, value: type.fromBuffer(framed.body) as T };
  } catch (err) {
    throw new UndecodableRecordError(`record body does not match schema ${framed.schemaId}: ${(err as Error).message}`, err);
  }
}
