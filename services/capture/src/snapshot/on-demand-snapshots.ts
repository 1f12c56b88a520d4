import { randomUUID } from 'node:crypto';
import { parseSnapshotRequestId } from '@paysync/contract';
import type { Logger } from '@paysync/observability';
import { qualifiedName, type Queryable } from '@paysync/postgres';
import type { TableCodec } from '../stream/table-codecs';
import { splitTableName } from '../table-name';
import { predicateProblem } from './row-predicate';
import type { SnapshotRequest, SnapshotRequests } from './snapshot-requests';
import { waitForTransactionsInProgress } from './transactions-in-progress';
import type { CopiedChunk } from './watermark-snapshotter';

/** The snapshotter's one step an on-demand snapshot needs. */
export interface ChunkCopier {
  copyChunk(codec: TableCodec, after: string[] | null, predicate: string | null): Promise<CopiedChunk>;
}

/** Where requests are counted; SnapshotRequestMetrics implements it. */
export interface RequestListener {
  held(pending: number, running: number): void;
  rowsSent(table: string, rows: number): void;
  finished(state: 'done' | 'failed'): void;
}

export interface OnDemandOptions {
  requests: Pick<SnapshotRequests, 'unfinished' | 'claim' | 'saveProgress' | 'fail'>;
  copier: ChunkCopier;
  codecFor(table: string): Promise<TableCodec>;
  /** The source: whether a request's table still exists (a request may outlive it), and which transactions have ended. */
  db: Queryable;
  /** PAYSYNC_TABLES: a request for another table is refused. */
  tables: readonly string[];
  /** Rows read per second at most (0: no limit). */
  maxRowsPerSecond: number;
  listener: RequestListener;
  logger: Logger;
  /** An error that is not the request's own (the source or Kafka gone): the streaming term ends, the next one resumes the request. */
  onFatal(err: Error): void;
}

/**
 * SQLSTATE classes of errors PostgreSQL raises for the request's own query (its SQL, its data, its
 * privileges, something it called): retrying would fail again, so the request fails and capture
 * goes on. Other errors (connection lost, shutdown, deadlock) end the term and the request resumes.
 */
const REQUEST_ERROR_CLASSES = new Set(['0A', '21', '22', '25', '2F', '38', '39', '42', '44', 'P0']);

function isRequestError(err: unknown): err is Error {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.length === 5 && REQUEST_ERROR_CLASSES.has(code.slice(0, 2));
}

/**
 * Serves `paysync snapshot` requests in the streaming capture, one after another, beside the
 * stream (which must go on: each chunk's window closes in it). A request is taken up when its WAL
 * message arrives (onRequest) or when a term starts streaming (resumePending); it is copied in
 * watermark chunks of its matching rows, its position saved after each chunk Kafka acknowledged,
 * so a crash resumes it after the last saved chunk. One instance per streaming term.
 */
export class OnDemandSnapshots {
  /** Names this term in the rows it claims: a torn-down term's late save changes nothing. */
  private readonly claimant = randomUUID();
  /** Ids queued or running, so a request seen both in the table and in the WAL is served once. */
  private readonly held = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private running = 0;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: OnDemandOptions) {}

  /** The content of a `paysync.snapshot` WAL message: a request id, queued unless held already. */
  onRequest(content: string): void {
    const id = parseSnapshotRequestId(content);
    if (id instanceof Error) this.options.logger.warn({ err: id }, 'ignored a snapshot request message');
    else this.enqueue(id);
  }

  /** Queues this slot's unfinished requests, oldest first (those a crash or a takeover interrupted, or written while no capture streamed). */
  async resumePending(): Promise<void> {
    for (const request of await this.options.requests.unfinished()) this.enqueue(request.id);
  }

  /** Serves nothing more: a chunk in flight is dropped with its term, its request resumed by the next one. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
    this.options.listener.held(0, 0);
  }

  private enqueue(id: string): void {
    if (this.stopped || this.held.has(id)) return;
    this.held.add(id);
    this.pending += 1;
    this.report();
    this.queue = this.queue
      .then(async () => {
        this.pending -= 1;
        this.running = this.stopped ? 0 : 1;
        this.report();
        try {
          if (!this.stopped) await this.serve(id);
        } finally {
          this.held.delete(id);
          this.running = 0;
          this.report();
        }
      })
      .catch((err: Error) => this.options.onFatal(err));
  }

  /** Counts of a stopped instance are the next term's to report: its late chain must not overwrite them. */
  private report(): void {
    if (!this.stopped) this.options.listener.held(this.pending, this.running);
  }

  private async serve(id: string): Promise<void> {
    const { requests, logger } = this.options;
    // Its WAL message is decoded from the commit record, perhaps before the row is visible to a query.
    await waitForTransactionsInProgress(this.options.db);
    // Another slot's request, finished already (its message read again after a restart), or deleted.
    const request = await requests.claim(id, this.claimant);
    if (!request) return logger.debug({ request: id }, 'snapshot request not to be served here: another slot\'s, finished, or gone');
    const refused = await this.refusal(request);
    if (refused) return this.fail(request, refused);
    logger.info({ request: id, table: request.table, predicate: request.predicate, resumeAfterRows: request.rowsSent }, 'snapshot request starting');
    try {
      await this.copy(request);
    } catch (err) {
      if (!isRequestError(err)) throw err;
      await this.fail(request, `PostgreSQL refused the snapshot query: ${err.message}`);
    }
  }

  /** Why the request cannot be served, whatever is retried: checked again here, since anyone who may insert a row can ask. */
  private async refusal(request: SnapshotRequest): Promise<string | undefined> {
    if (!this.options.tables.includes(request.table)) return `table ${request.table} is not in PAYSYNC_TABLES of this capture`;
    const problem = request.predicate === null ? undefined : predicateProblem(request.predicate);
    if (problem) return `the predicate ${problem}`;
    const { rows } = await this.options.db.query<{ found: string }>('SELECT to_regclass($1) IS NOT NULL AS found', [qualifiedName(...splitTableName(request.table))]);
    if (rows[0]?.found !== 't') return `table ${request.table} does not exist on the source any more`;
    return undefined;
  }

  private async copy(request: SnapshotRequest): Promise<void> {
    const { copier, requests, listener, logger } = this.options;
    const codec = await this.options.codecFor(request.table);
    let { lastKey, rowsSent } = request;
    let read = 0;
    const started = Date.now();
    while (!this.stopped) {
      const chunk = await copier.copyChunk(codec, lastKey, request.predicate);
      lastKey = chunk.lastKey;
      rowsSent += chunk.sent;
      read += chunk.read;
      // Claimed by a newer term meanwhile (this one was torn down): that one goes on from its own position.
      if (!(await requests.saveProgress(request.id, this.claimant, lastKey, rowsSent, chunk.done))) return;
      listener.rowsSent(request.table, chunk.sent);
      if (chunk.done) {
        listener.finished('done');
        logger.info({ request: request.id, table: request.table, rowsSent }, 'snapshot request done');
        return;
      }
      await this.throttle(read, started);
    }
  }

  private async fail(request: SnapshotRequest, reason: string): Promise<void> {
    await this.options.requests.fail(request.id, this.claimant, reason);
    this.options.listener.finished('failed');
    this.options.logger.warn({ request: request.id, table: request.table, reason }, 'snapshot request failed');
  }

  /** Waits until the rows read so far are within the rate; stop() cuts the wait short. */
  private async throttle(read: number, startedMs: number): Promise<void> {
    if (this.options.maxRowsPerSecond <= 0) return;
    const due = (read / this.options.maxRowsPerSecond) * 1000 - (Date.now() - startedMs);
    if (due <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, due);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }
}
