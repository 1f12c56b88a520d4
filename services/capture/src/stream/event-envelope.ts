import { tombstoneHeaders, type ChangeEnvelope, type Row, type TransactionBlock } from '@paysync/contract';
import type { Message } from '@paysync/kafka';
import type { TableCodec } from './table-codecs';

/** `source.version`: the event contract's version (docs/type-mapping.md); 0.2.0 added Debezium's source, transaction and ts_us/ts_ns fields. */
const CONTRACT_VERSION = '0.2.0';

/** The source database, and the topic prefix: Debezium's `source.db` and `source.name`. */
export interface EventOrigin {
  database: string;
  name: string;
}

/** An event's version, and where a streamed one sits in its transaction (Debezium's sequence and transaction block). */
export interface EventVersion {
  lsn: bigint;
  seq: bigint;
  txId: bigint | null;
  tsUs: bigint;
  /** A streamed change's Debezium source.sequence: the commit LSN of the transaction before it and its own WAL position, as decimal strings in JSON. */
  sequence?: string;
  transaction?: TransactionBlock;
}

/** The commit time in ms and ns, kept for the last commit time seen: every row of a transaction shares it. */
let commitTimes = { us: -1n, ms: 0n, ns: 0n };

function commitTimesOf(tsUs: bigint): typeof commitTimes {
  if (commitTimes.us !== tsUs) commitTimes = { us: tsUs, ms: tsUs / 1000n, ns: tsUs * 1000n };
  return commitTimes;
}

/** A streamed event carries its sequence and transaction block (Debezium's); a snapshot row does not. */
export function changeEnvelope(origin: EventOrigin, codec: TableCodec, op: ChangeEnvelope['op'], before: Row | null, after: Row | null, version: EventVersion): ChangeEnvelope {
  const sequence = version.sequence;
  // Microseconds since 1970 stay below 2^53 for millennia: ms and us in double arithmetic, one BigInt multiply for ns.
  const nowUsNumber = Math.round((performance.timeOrigin + performance.now()) * 1000);
  const nowUs = BigInt(nowUsNumber);
  const committed = commitTimesOf(version.tsUs);
  return {
    before,
    after,
    op,
    source: {
      version: CONTRACT_VERSION,
      connector: 'paysync',
      name: origin.name,
      ts_ms: committed.ms,
      snapshot: sequence ? 'false' : 'incremental',
      db: origin.database,
      sequence: sequence ?? null,
      ts_us: version.tsUs,
      ts_ns: committed.ns,
      schema: codec.shape.schema,
      table: codec.shape.table,
      txId: version.txId,
      lsn: version.lsn,
      xmin: null,
      seq: version.seq,
    },
    transaction: version.transaction ?? null,
    ts_ms: BigInt(Math.floor(nowUsNumber / 1000)),
    ts_us: nowUs,
    ts_ns: nowUs * 1000n,
    unchanged_toast: [],
  };
}

/** The tombstone after a delete: compaction forgets the key by it, and it carries the delete's version for a reader that meets only it. */
export function tombstone(codec: TableCodec, key: Buffer, partition: number, version: EventVersion): Message {
  return { key, value: null, partition, headers: tombstoneHeaders({ lsn: version.lsn, seq: version.seq, tsMs: version.tsUs / 1000n, valueSchemaId: codec.valueSchemaId }) };
}
