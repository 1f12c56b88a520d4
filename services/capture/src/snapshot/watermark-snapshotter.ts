import { randomUUID } from 'node:crypto';
import { quoteIdent, qualifiedName, type Queryable } from '@paysync/postgres';
import type { TableCodec } from '../stream/table-codecs';
import { keyText } from '../stream/table-codecs';
import type { SnapshotProgress, TableProgress } from './snapshot-progress';
import type { ChunkRow, WatermarkWindows } from './watermark-windows';

export const WATERMARK_PREFIX = 'paysync.watermark';

export interface SnapshotEmitter {
  /** Emits a chunk's surviving rows as `op: r` (and absent re-read keys as deletes) at the high watermark's LSN; resolves once pushed. */
  emitSnapshotRows(codec: TableCodec, highWatermarkLsn: string, rows: ChunkRow[], absent: ChunkRow[]): Promise<void>;
  /** Resolves once everything pushed so far is acknowledged by Kafka. */
  acknowledged(): Promise<void>;
}

export interface SnapshotListener {
  chunkDone(table: string, rows: number): void;
  tableDone(table: string): void;
}

/**
 * Copies a table in primary-key order, one short chunk at a time, each read between a low and a
 * high watermark written into the WAL (Netflix DBLog). No long transaction is held; progress is
 * saved after each chunk is acknowledged by Kafka, so a restart resumes at the next chunk.
 */
export class WatermarkSnapshotter {
  private stopped = false;

  constructor(
    private readonly db: Queryable,
    private readonly windows: WatermarkWindows,
    private readonly progress: SnapshotProgress,
    private readonly emitter: SnapshotEmitter,
    private readonly listener: SnapshotListener,
    private readonly chunkRows: number,
    /** Told when a chunk has waited long for older transactions to end (a long transaction holds the snapshot). */
    private readonly onSlowTransactions?: (waitedMs: number) => void,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  async snapshotTable(codec: TableCodec, resumeFrom: TableProgress | undefined): Promise<void> {
    let lastKey = resumeFrom?.lastKey ?? null;
    let rowsDone = resumeFrom?.rows ?? 0;
    const pk = codec.keyColumns.map(quoteIdent).join(', ');
    const select = `SELECT * FROM ${qualifiedName(codec.sourceShape.schema, codec.sourceShape.table)}`;
    while (!this.stopped) {
      const params = lastKey ?? [];
      const where = lastKey ? ` WHERE (${pk}) > (${params.map((_, i) => `$${i + 1}`).join(', ')})` : '';
      const sql = `${select}${where} ORDER BY ${pk} LIMIT ${this.chunkRows}`;
      const rows = await this.readChunk(codec, sql, params);
      if (rows.length > 0) {
        const last = rows[rows.length - 1].raw;
        lastKey = codec.keyColumns.map((c) => last[c] as string);
        rowsDone += rows.length;
      }
      await this.emitter.acknowledged();
      const done = rows.length < this.chunkRows;
      await this.progress.save({ table: codec.table, lastKey, rows: rowsDone, done });
      this.listener.chunkDone(codec.table, rows.length);
      if (done) {
        this.listener.tableDone(codec.table);
        return;
      }
    }
  }

  /**
   * Re-reads these keys (the reconciler's repair, DESIGN.md 3.3) in windows of at most a chunk:
   * rows found are emitted as snapshot reads, keys not found as deletes, each unless a streamed
   * change touched it inside the window (that change is newer). Resolves once Kafka has them all.
   */
  async rereadKeys(codec: TableCodec, keys: string[][]): Promise<void> {
    const pk = codec.keyColumns.map(quoteIdent);
    const types = codec.keyColumns.map((c) => codec.sourceShape.columns.find((column) => column.name === c)!.pgType);
    for (let start = 0; start < keys.length && !this.stopped; start += this.chunkRows) {
      const chunk = keys.slice(start, start + this.chunkRows);
      const params = chunk.flat();
      const values = chunk.map((_, row) => `(${types.map((type, i) => `$${row * types.length + i + 1}::${type}`).join(', ')})`).join(', ');
      // The asked keys come back in PostgreSQL's own text (as the WAL shows them), found or not.
      const asked = pk.map((_, i) => `paysync_key_${i}`);
      const sql = `SELECT ${asked.map((a) => `asked.${a}::text AS ${a}`).join(', ')}, (t.ctid IS NULL) AS paysync_absent, t.*
        FROM (VALUES ${values}) AS asked(${asked.join(', ')})
        LEFT JOIN ${qualifiedName(codec.sourceShape.schema, codec.sourceShape.table)} t ON (${pk.map((c) => `t.${c}`).join(', ')}) = (${asked.map((a) => `asked.${a}`).join(', ')})`;
      await this.readChunk(codec, sql, params, (raw) => {
        if (raw.paysync_absent !== 't') return false;
        codec.keyColumns.forEach((c, i) => (raw[c] = raw[asked[i]]));
        return true;
      });
    }
    await this.emitter.acknowledged();
  }

  /**
   * One chunk between two watermarks; resolves once its surviving rows are pushed to the sink.
   * `isAbsent` marks rows that stand for an asked key the table does not hold (re-reads only).
   */
  private async readChunk(codec: TableCodec, sql: string, params: string[], isAbsent?: (raw: Record<string, string | null>) => boolean): Promise<ChunkRow[]> {
    const id = randomUUID();
    let emitted!: () => void;
    const pushed = new Promise<void>((resolve) => (emitted = resolve));
    const window = this.windows.register({
      id,
      table: codec.table,
      onHighWatermark: async (lsn, survivors, absent) => {
        await this.emitter.emitSnapshotRows(codec, lsn, survivors, absent);
        emitted();
      },
    });
    try {
      await this.emitWatermark(id, 'low');
      await this.waitForTransactionsInProgress();
      const { rows } = await this.db.query<Record<string, string | null>>(sql, params);
      const read = rows.map((raw) => ({ absent: isAbsent?.(raw) ?? false, row: { keyText: keyText(codec, raw), raw } }));
      window.rows = read.filter((r) => !r.absent).map((r) => r.row);
      window.absent = read.filter((r) => r.absent).map((r) => r.row);
      await this.emitWatermark(id, 'high');
      await pushed;
      return window.rows;
    } catch (err) {
      this.windows.forget(id);
      throw err;
    }
  }

  /**
   * A transaction can have its commit in the WAL before the low watermark and yet not be visible
   * to a query (between its commit record and leaving the proc array: a flush, a synchronous
   * standby's ack). Its change would then sit before the window while the chunk still shows the
   * old row, which would win with the newer version. So the chunk is read only once every
   * transaction that had an xid when the low watermark was written has ended: a fresh xid N is
   * taken after the watermark, and the chunk waits until the oldest running xid is at least N.
   */
  private async waitForTransactionsInProgress(): Promise<void> {
    const { rows } = await this.db.query<{ next: string }>('SELECT pg_current_xact_id()::text AS next');
    const next = rows[0].next;
    const started = Date.now();
    for (let polls = 0; ; polls++) {
      const { rows: check } = await this.db.query<{ ended: string }>(
        'SELECT pg_snapshot_xmin(pg_current_snapshot())::text::numeric >= $1::numeric AS ended',
        [next],
      );
      if (check[0]?.ended === 't') return;
      if (polls % 500 === 499) this.onSlowTransactions?.(Date.now() - started);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  private async emitWatermark(id: string, edge: 'low' | 'high'): Promise<void> {
    await this.db.query(`SELECT pg_logical_emit_message(false, $1, $2)`, [WATERMARK_PREFIX, JSON.stringify({ id, edge })]);
  }
}
