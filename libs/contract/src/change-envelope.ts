import type { Row } from './rows';

/**
 * Debezium's `source.snapshot` values paysync writes: `false` for a streamed change, `incremental`
 * for a row read by the watermark snapshot (Debezium's name for the same method). Records written
 * before paysync 0.2 hold a boolean there.
 */
export type SnapshotMarker = 'false' | 'incremental' | boolean;

/** Debezium's transaction block: which transaction, and the event's place in it (1-based). */
export interface TransactionBlock {
  id: string;
  total_order: bigint;
  data_collection_order: bigint;
}

/** The value of every table topic record: Debezium's envelope, plus paysync's version fields (docs/type-mapping.md "Envelope"). */
export interface ChangeEnvelope {
  before: Row | null;
  after: Row | null;
  op: 'c' | 'u' | 'd' | 'r' | 't';
  source: {
    version: string;
    connector: string;
    /** The topic prefix (Debezium's logical name). */
    name?: string;
    ts_ms: bigint;
    snapshot: SnapshotMarker;
    db: string;
    /** Debezium's `["<last commit LSN>","<this event's LSN>"]`, as decimal strings. */
    sequence?: string | null;
    /** The commit time in micro- and nanoseconds (PostgreSQL keeps microseconds). */
    ts_us?: bigint | null;
    ts_ns?: bigint | null;
    schema: string;
    table: string;
    txId: bigint | null;
    /** Commit LSN of the transaction (a snapshot row: its high watermark's LSN). */
    lsn: bigint;
    xmin?: bigint | null;
    /** Order inside the transaction (or the snapshot chunk). */
    seq: bigint;
  };
  transaction?: TransactionBlock | null;
  ts_ms: bigint;
  ts_us?: bigint | null;
  ts_ns?: bigint | null;
  /** Avro field names of columns whose value was not sent (unchanged TOAST): leave them as they are. */
  unchanged_toast: string[];
}

export const optionalLong = (name: string): object => ({ name, type: ['null', 'long'], default: null });

/**
 * Debezium's source block, field for field where the meaning is the same; `lsn` (the commit LSN) and
 * `seq` are paysync's version. Every field added since 0.1 has a default, and `snapshot` takes the
 * boolean older records hold as a second branch, so the schema reads every record ever written
 * (BACKWARD compatible).
 */
export const SOURCE_SCHEMA = {
  type: 'record',
  name: 'Source',
  namespace: 'io.paysync.connector',
  fields: [
    { name: 'version', type: 'string' },
    { name: 'connector', type: 'string' },
    { name: 'name', type: 'string', default: '' },
    { name: 'ts_ms', type: 'long' },
    {
      name: 'snapshot',
      type: [
        { type: 'string', 'connect.name': 'io.debezium.data.Enum', 'connect.version': 1, 'connect.parameters': { allowed: 'true,last,false,incremental' } },
        'boolean',
      ],
      default: 'false',
    },
    { name: 'db', type: 'string' },
    { name: 'sequence', type: ['null', 'string'], default: null },
    optionalLong('ts_us'),
    optionalLong('ts_ns'),
    { name: 'schema', type: 'string' },
    { name: 'table', type: 'string' },
    { name: 'txId', type: ['null', 'long'], default: null },
    { name: 'lsn', type: 'long' },
    optionalLong('xmin'),
    { name: 'seq', type: 'long' },
  ],
};

export const TRANSACTION_SCHEMA = {
  type: 'record',
  name: 'block',
  namespace: 'event',
  'connect.name': 'event.block',
  'connect.version': 1,
  fields: [
    { name: 'id', type: 'string' },
    { name: 'total_order', type: 'long' },
    { name: 'data_collection_order', type: 'long' },
  ],
};
