import type { ChangeEnvelope, Row } from '@paysync/contract';

/** A complete envelope as capture writes it (every field, so a decode returns it unchanged), for tests that encode their own events. */
export function testEnvelope(event: { op: ChangeEnvelope['op']; before: Row | null; after: Row | null; schema: string; table: string; lsn: bigint; seq: bigint; tsMs: bigint; snapshot: boolean }): ChangeEnvelope {
  const tsUs = event.tsMs * 1000n;
  return {
    before: event.before,
    after: event.after,
    op: event.op,
    source: {
      version: 'test',
      connector: 'paysync',
      name: 'test',
      ts_ms: event.tsMs,
      snapshot: event.snapshot ? 'incremental' : 'false',
      db: 'test',
      sequence: null,
      ts_us: tsUs,
      ts_ns: tsUs * 1000n,
      schema: event.schema,
      table: event.table,
      txId: null,
      lsn: event.lsn,
      xmin: null,
      seq: event.seq,
    },
    transaction: null,
    ts_ms: event.tsMs,
    ts_us: tsUs,
    ts_ns: tsUs * 1000n,
    unchanged_toast: [],
  };
}
