import { field, intOf } from './python-decode';
import type { PyValue } from './python-forms';
import type { Committed } from './source-transactions';

/** An event the topic must hold, its rows as python-forms.ts derived them from PostgreSQL. */
export interface ExpectedEvent {
  id: string;
  op: 'r' | 'c' | 'u' | 'd';
  before: PyValue;
  after: PyValue;
  /** Its place in its transaction (or snapshot chunk), 0-based. */
  seq: number;
  /** A streamed change: its transaction, and the one capture saw commit before it (null: none since capture started). */
  tx?: Committed;
  previousTx?: Committed | null;
}

/** What the checks of earlier events found, for the later ones. */
export interface EventContext {
  database: string;
  prefix: string;
  /** A snapshot row's version LSN: at or after `from` (before capture started) and before `to` (the first insert). */
  snapshotLsns: { from: bigint; to: bigint };
  captureStartedUs: bigint;
  /** By transaction: its commit LSN (the same in all its events) and the WAL position of its latest event so far. */
  seen: Map<Committed, { commitLsn: bigint; eventLsn: bigint }>;
}

const int = (n: bigint | number): PyValue => ['int', String(n)];
const str = (s: string): PyValue => ['str', s];

/** Debezium's sequence and transaction block of a streamed change, its WAL positions checked against PostgreSQL's bounds. */
function streamedPosition(source: PyValue, event: ExpectedEvent, tx: Committed, lsn: bigint, context: EventContext): { sequence: PyValue; transaction: PyValue } {
  expect(lsn >= tx.lsnFrom && lsn < tx.lsnTo).toBe(true);
  const [, eventText] = JSON.parse((field(source, 'sequence') as ['str', string])[1]) as [string | null, string];
  const eventLsn = BigInt(eventText);
  expect(eventLsn >= tx.startLsn && eventLsn <= tx.lsnFrom).toBe(true);
  const earlier = context.seen.get(tx);
  if (earlier) {
    expect(lsn).toBe(earlier.commitLsn);
    expect(eventLsn > earlier.eventLsn).toBe(true);
  }
  context.seen.set(tx, { commitLsn: lsn, eventLsn });
  const previous = event.previousTx ? context.seen.get(event.previousTx)?.commitLsn : undefined;
  const order = int(event.seq + 1); // 1-based; one table per transaction here, so both orders agree
  return {
    sequence: str(JSON.stringify([previous?.toString() ?? null, eventText])),
    transaction: ['dict', { id: str(`${tx.txId}:${lsn}`), total_order: order, data_collection_order: order }],
  };
}

/**
 * Checks every field of the envelope a Python consumer got: rows and constants exactly; times and
 * LSNs, which only paysync knows to the digit, within what PostgreSQL says of them, and each
 * millisecond and nanosecond form exactly derived from the microseconds. Returns the event's LSN.
 */
export function expectEnvelope(envelope: PyValue, event: ExpectedEvent, context: EventContext): bigint {
  const source = field(envelope, 'source');
  const lsn = intOf(field(source, 'lsn'));
  const commitUs = intOf(field(source, 'ts_us'));
  const emittedUs = intOf(field(envelope, 'ts_us'));
  const tx = event.tx;
  let position: { sequence: PyValue; transaction: PyValue } = { sequence: null, transaction: null };
  if (tx) {
    position = streamedPosition(source, event, tx, lsn, context);
    expect(commitUs >= tx.startedUs && commitUs <= tx.committedUs).toBe(true);
    expect(emittedUs >= tx.startedUs).toBe(true);
  } else {
    // Just below the chunk's high watermark, written after capture started and before the first insert.
    expect(lsn >= context.snapshotLsns.from && lsn < context.snapshotLsns.to).toBe(true);
    expect(commitUs >= context.captureStartedUs && emittedUs >= context.captureStartedUs).toBe(true);
  }
  expect(emittedUs <= BigInt(Date.now()) * 1000n).toBe(true);

  expect({ id: event.id, op: event.op, envelope }).toEqual({
    id: event.id,
    op: event.op,
    envelope: [
      'dict',
      {
        before: event.before,
        after: event.after,
        op: str(event.op),
        source: [
          'dict',
          {
            version: str('0.2.0'),
            connector: str('paysync'),
            name: str(context.prefix),
            ts_ms: int(commitUs / 1000n),
            snapshot: str(tx ? 'false' : 'incremental'),
            db: str(context.database),
            sequence: position.sequence,
            ts_us: int(commitUs),
            ts_ns: int(commitUs * 1000n),
            schema: str('public'),
            table: str('all_types'),
            txId: tx ? int(BigInt(tx.txId)) : null,
            lsn: int(lsn),
            xmin: null,
            seq: int(event.seq),
          },
        ],
        transaction: position.transaction,
        ts_ms: int(emittedUs / 1000n),
        ts_us: int(emittedUs),
        ts_ns: int(emittedUs * 1000n),
        unchanged_toast: ['list', []],
      },
    ],
  });
  return lsn;
}
