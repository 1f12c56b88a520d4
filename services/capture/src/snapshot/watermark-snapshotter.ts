import { randomUUID } from 'node:crypto';
import { inTransaction, quoteIdent, qualifiedName, type Pool } from '@paysync/postgres';
import type { TableCodec } from '../stream/table-codecs';
import { keyText } from '../stream/table-codecs';
import { chunkQuery } from './chunk-query';
import type { SnapshotProgress, TableProgress } from './snapshot-progress';
import { waitForTransactionsInProgress } from './transactions-in-progress';
import type { ChunkRow, WatermarkWindows } from './watermark-windows';

export const WATERMARK_PREFIX = 'paysync.watermark';

export interface SnapshotEmitter {
  /** Emits a chunk's surviving rows as `op: r` (and absent re-read keys as deletes) at the high watermark's LSN; resolves once pushed. */
  emitSnapshotRows(codec: TableCodec, highWatermarkLsn: string, rows: ChunkRow[], absent: ChunkRow[]): Promise<void>;
  /** Resolves once everything pushed so far is acknowledged by Kafka. */
  acknowledged(): Promise<void>;
}

/** One copied chunk: where it ended and what it read and sent. */
export interface CopiedChunk {
  /** Primary-key values (PostgreSQL text) of its last row; `after` again when it read none. */
  lastKey: string[] | null;
  read: number;
  /** Rows emitted: those read minus those a streamed change touched inside the window. */
  sent: number;
  /** Fewer rows than a chunk: nothing is left after it. */
  done: boolean;
}

export interface SnapshotListener {
  chunkDone(table: string, rows: number): void;
  tableDone(table: string): void;
}

/**
 * Copies a table in primary-key order, one short chunk at a time, each read between a low and a
 * high watermark written into the WAL (Netflix DBLog). No long transaction is held; progress is
 * saved after each chunk is acknowledged by Kafka, so a restart resumes at the next chunk. The
 * next chunk is read while Kafka acknowledges one, so a copy does not wait on both in turn.
 */
export class WatermarkSnapshotter {
  private stopped = false;

  constructor(
    private readonly db: Pool,
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
    let saved: Promise<void> = Promise.resolve();
    while (!this.stopped) {
      // The previous chunk waits for Kafka while this one is read: one chunk ahead at most, and
      // Promise.all ends the copy at the first failure of either, leaving the other's handled.
      const [{ chunk, acknowledged }] = await Promise.all([this.pushThenAcknowledge(codec, lastKey), saved]);
      lastKey = chunk.lastKey;
      rowsDone += chunk.read;
      saved = this.saveOnceAcknowledged(acknowledged, { table: codec.table, lastKey, rows: rowsDone, done: chunk.done }, chunk.read);
      if (chunk.done) {
        await saved;
        this.listener.tableDone(codec.table);
        return;
      }
    }
    await saved;
  }

  /**
   * The chunk after `after` in key order, of the rows matching `predicate` when one is given (an
   * on-demand snapshot), between two watermarks; resolves once Kafka acknowledged it, so the
   * caller may save the returned position.
   */
  async copyChunk(codec: TableCodec, after: string[] | null, predicate: string | null): Promise<CopiedChunk> {
    const chunk = await this.pushChunk(codec, after, predicate);
    await this.emitter.acknowledged();
    return chunk;
  }

  /** The chunk after `after` (as copyChunk), resolved once its rows are pushed to the sink, before Kafka acknowledged them. */
  private async pushChunk(codec: TableCodec, after: string[] | null, predicate: string | null): Promise<CopiedChunk> {
    const { sql, params } = chunkQuery({ schema: codec.sourceShape.schema, table: codec.sourceShape.table, keyColumns: codec.keyColumns }, after, predicate, this.chunkRows);
    const { read, sent } = await this.readChunk(codec, sql, params);
    const last = read.length > 0 ? read[read.length - 1].raw : undefined;
    return { lastKey: last ? codec.keyColumns.map((c) => last[c] as string) : after, read: read.length, sent, done: read.length < this.chunkRows };
  }

  /**
   * Pushes the next chunk and asks for its acknowledgement at once, so that it covers this chunk
   * but not the next one. The acknowledgement is awaited only after the previous chunk is saved;
   * its failure is seen then, not reported as unhandled meanwhile.
   */
  private async pushThenAcknowledge(codec: TableCodec, after: string[] | null): Promise<{ chunk: CopiedChunk; acknowledged: Promise<void> }> {
    const chunk = await this.pushChunk(codec, after, null);
    const acknowledged = this.emitter.acknowledged();
    acknowledged.catch(() => undefined);
    return { chunk, acknowledged };
  }

  /** Saves a chunk's position once Kafka has it: a restart resumes after it, never after a chunk Kafka may not have. */
  private async saveOnceAcknowledged(acknowledged: Promise<void>, position: TableProgress, read: number): Promise<void> {
    await acknowledged;
    await this.progress.save(position);
    this.listener.chunkDone(position.table, read);
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
   * One chunk between two watermarks; resolves once its surviving rows are pushed to the sink,
   * with the rows read and how many went out. `isAbsent` marks rows that stand for an asked key
   * the table does not hold (re-reads only). The read is a read-only transaction: an on-demand
   * snapshot's predicate is an operator's text, and whatever it calls may not write.
   */
  private async readChunk(
    codec: TableCodec,
    sql: string,
    params: string[],
    isAbsent?: (raw: Record<string, string | null>) => boolean,
  ): Promise<{ read: ChunkRow[]; sent: number }> {
    const id = randomUUID();
    let emitted!: (sent: number) => void;
    const pushed = new Promise<number>((resolve) => (emitted = resolve));
    const window = this.windows.register({
      id,
      table: codec.table,
      onHighWatermark: async (lsn, survivors, absent) => {
        await this.emitter.emitSnapshotRows(codec, lsn, survivors, absent);
        emitted(survivors.length + absent.length);
      },
    });
    try {
      await this.emitWatermark(id, 'low');
      // A change committed before the low watermark but not visible yet would sit before the window while the chunk shows the old row.
      await waitForTransactionsInProgress(this.db, this.onSlowTransactions);
      const { rows } = await inTransaction(this.db, (client) => client.query<Record<string, string | null>>(sql, params), 'BEGIN TRANSACTION READ ONLY');
      const read = rows.map((raw) => ({ absent: isAbsent?.(raw) ?? false, row: { keyText: keyText(codec, raw), raw } }));
      window.rows = read.filter((r) => !r.absent).map((r) => r.row);
      window.absent = read.filter((r) => r.absent).map((r) => r.row);
      await this.emitWatermark(id, 'high');
      return { read: window.rows, sent: await pushed };
    } catch (err) {
      this.windows.forget(id);
      throw err;
    }
  }

  private async emitWatermark(id: string, edge: 'low' | 'high'): Promise<void> {
    await this.db.query(`SELECT pg_logical_emit_message(false, $1, $2)`, [WATERMARK_PREFIX, JSON.stringify({ id, edge })]);
  }
}
