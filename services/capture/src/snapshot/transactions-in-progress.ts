import type { Queryable } from '@paysync/postgres';

/**
 * Resolves once every transaction that had an xid when this was called has ended. A transaction's
 * commit can be in the WAL (and decoded from it) while a query does not see it yet: between its
 * commit record and leaving the proc array (a flush, a synchronous standby's ack). A snapshot chunk
 * read in that gap would show the old row, which would win with the newer version; a request row
 * looked up when its WAL message arrives might not be found. So a fresh xid N is taken, and this
 * waits until the oldest running xid is at least N. `onSlow` is told when that takes long (a
 * long-running transaction on the source).
 */
export async function waitForTransactionsInProgress(db: Queryable, onSlow?: (waitedMs: number) => void): Promise<void> {
  const { rows } = await db.query<{ next: string }>('SELECT pg_current_xact_id()::text AS next');
  const next = rows[0].next;
  const started = Date.now();
  for (let polls = 0; ; polls++) {
    const { rows: check } = await db.query<{ ended: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text::numeric >= $1::numeric AS ended', [next]);
    if (check[0]?.ended === 't') return;
    if (polls % 500 === 499) onSlow?.(Date.now() - started);
    await new Promise((r) => setTimeout(r, 2));
  }
}
