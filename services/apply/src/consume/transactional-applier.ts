import type { Change } from '../changes/row-change';
import type { DeadLetter, DeadLetterWriter } from '../dead-letter/dead-letter-writer';
import type { ResolvedTable, Target, TargetTransaction } from '../targets/target';
import { newestCommitTime, type BatchOutcome, type PartitionApplier } from './batch-applier';
import { mergeCounts, TargetRefusedRow, type ChangeWriter, type DecodedRecord, type PartitionBatch, type WriteCounts } from './change-writer';
import { advanceOver, positionAfter, type SkippedRecords } from './kafka-position';

/** Changes buffered before they are written into the open target transaction (bounds memory). */
const FLUSH_CHANGES = 5000;

/**
 * Apply must continue from `offset` (the last target commit): after a failure, the open target
 * transaction was rolled back and may have held records of earlier batches.
 */
export class RewindRequired extends Error {
  constructor(readonly offset: bigint, override readonly cause: unknown) {
    super(`re-reading from offset ${offset} after: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'RewindRequired';
  }
}

interface OpenTransaction {
  tx: TargetTransaction;
  /** The offset the target holds: where this transaction's records start. */
  stored: bigint;
  pending: Change[];
  letters: DeadLetter[];
  counts: WriteCounts;
  newestCommitTimeMs?: number;
  /** The newest offset read into this transaction, Kafka's markers and aborted records included. */
  lastOffset: bigint;
  /** Holds changes or dead letters not committed yet. */
  dirty: boolean;
}

/**
 * Transaction-consistent mode, over the transaction-ordered topic (one partition): the target
 * commits only at a source transaction's commit marker, so a reader never sees half a transfer.
 * Several source transactions may share one target commit (the newest marker of a batch); a source
 * transaction larger than a fetch stays open in the target across batches, written in chunks.
 */
export class TransactionalApplier implements PartitionApplier {
  private open: OpenTransaction | undefined;
  /** Records whose tables could not be resolved while a transaction was open (see `apply`). */
  private unresolved: { decoded: DecodedRecord[]; batch: PartitionBatch } | undefined;

  constructor(
    private readonly groupId: string,
    private readonly target: Target,
    private readonly writer: ChangeWriter,
    private readonly deadLetters: DeadLetterWriter,
    private readonly tableFilter: (change: Change) => boolean,
  ) {}

  async apply(batch: PartitionBatch, stopBefore?: (change: Change) => boolean): Promise<BatchOutcome> {
    let decoded = await this.writer.decode(batch);
    // Replay's bound: the transaction holding the first change past it is not applied, nor anything after.
    const bound = stopBefore ? decoded.findIndex((d) => d.change !== undefined && stopBefore(d.change)) : -1;
    if (bound >= 0) decoded = decoded.slice(0, bound);
    const lastMarker = [...decoded].reverse().find((d) => d.marker);
    // The whole fetch is read unless replay's bound stops it (kafka-position.ts).
    const end = bound >= 0 ? undefined : positionAfter(batch);
    const outcome: BatchOutcome = { applied: [], stale: 0, nextOffset: this.open?.stored ?? 0n, redelivered: 0, deadLetters: 0, newestCommitTimeMs: undefined, reachedBound: bound >= 0 };
    let tables: Map<Change['table'], ResolvedTable>;
    try {
      // A schema change met while a transaction is open: its DDL would wait on that transaction's own
      // locks (and time out). Roll back, and resolve those tables first, with nothing open, when the
      // rewound records come back.
      if (!this.open && this.unresolved) await this.writer.resolveTables(this.unresolved.decoded, this.unresolved.batch);
      this.unresolved = undefined;
      tables = await this.writer.resolveTables(decoded, batch);
    } catch (err) {
      const offset = this.open?.stored;
      if (offset === undefined) throw err;
      this.unresolved = { decoded, batch };
      await this.rollbackOpen();
      throw new RewindRequired(offset, err);
    }
    try {
      for (const item of decoded) {
        const open = await this.ensureOpen(batch);
        if (item.offset <= open.lastOffset) {
          outcome.redelivered += 1;
          continue;
        }
        // Gaps within a fetch are Kafka's markers and aborted records; a fetch beginning past the transaction skipped records.
        if (batch.firstOffset > open.lastOffset + 1n) throw new Error(`offset ${batch.firstOffset} follows ${open.lastOffset}: records are missing`);
        open.lastOffset = item.offset;
        if (item.change && this.tableFilter(item.change)) open.pending.push(item.change);
        if (item.letter) open.letters.push(item.letter);
        open.dirty ||= item.change !== undefined || item.letter !== undefined;
        if (open.pending.length >= FLUSH_CHANGES) await this.flush(open, tables, batch);
        // Source transactions up to the batch's last marker share one target commit (and one write per table).
        if (item === lastMarker) {
          await this.flush(open, tables, batch);
          // Only markers (Kafka's) after the last source commit of the fetch: the offset goes past them.
          await this.commit(open, batch, end !== undefined && item === decoded[decoded.length - 1] ? end : item.offset + 1n, outcome);
        }
      }
      if (this.open && end !== undefined && batch.firstOffset <= this.open.lastOffset + 1n && batch.lastOffset > this.open.lastOffset) this.open.lastOffset = batch.lastOffset;
      // Replay stops here: what is not committed is given up.
      if (this.open && outcome.reachedBound) await this.rollbackOpen();
      // Nothing of an unfinished source transaction read: the offset moves over what was read, and the connection is released.
      if (this.open && !this.open.dirty) await this.commit(this.open, batch, this.open.lastOffset + 1n, outcome);
      if (this.open) {
        await this.flush(this.open, tables, batch);
        outcome.nextOffset = this.open.stored;
      }
      return outcome;
    } catch (err) {
      const offset = this.open?.stored;
      await this.rollbackOpen();
      throw offset === undefined ? err : new RewindRequired(offset, err);
    }
  }

  private async ensureOpen(batch: PartitionBatch): Promise<OpenTransaction> {
    if (this.open) return this.open;
    const tx = await this.target.begin();
    let stored: bigint;
    try {
      stored = await tx.lockOffset(this.groupId, batch.topic, batch.partition);
    } catch (err) {
      await tx.rollback();
      throw err;
    }
    this.open = { tx, stored, pending: [], letters: [], counts: { applied: [], stale: 0 }, lastOffset: stored - 1n, dirty: false };
    return this.open;
  }

  private async flush(open: OpenTransaction, tables: Map<Change['table'], ResolvedTable>, batch: PartitionBatch): Promise<void> {
    if (open.pending.length === 0) return;
    const changes = open.pending;
    open.pending = [];
    await open.tx.savepoint();
    let counts: WriteCounts;
    try {
      counts = await this.writer.write(open.tx, changes, tables, open.letters, batch, false);
      await open.tx.releaseSavepoint();
    } catch (err) {
      if (!(err instanceof TargetRefusedRow)) throw err;
      await open.tx.rollbackToSavepoint();
      counts = await this.writer.write(open.tx, changes, tables, open.letters, batch, true);
    }
    mergeCounts(open.counts, counts);
    const newest = newestCommitTime(changes);
    if (newest !== undefined && (open.newestCommitTimeMs === undefined || newest > open.newestCommitTimeMs)) open.newestCommitTimeMs = newest;
  }

  /**
   * Kafka's markers and aborted records kafkajs resolved on its own: inside a source transaction
   * held open, read into it (the stored offset stays where its records begin); otherwise the stored
   * offset moves over them.
   */
  async skip(skipped: SkippedRecords): Promise<bigint | undefined> {
    const open = this.open;
    if (!open) return advanceOver(this.target, this.groupId, skipped);
    // Not right after the transaction's last offset: the next batch finds the gap and rewinds.
    if (skipped.first <= open.lastOffset + 1n && skipped.last > open.lastOffset) open.lastOffset = skipped.last;
    return undefined;
  }

  private async commit(open: OpenTransaction, batch: PartitionBatch, nextOffset: bigint, outcome: BatchOutcome): Promise<void> {
    await this.deadLetters.write(open.letters);
    await this.writer.recordConflicts(open.counts);
    // Never back: records below the stored offset were redelivered.
    const next = nextOffset > open.stored ? nextOffset : open.stored;
    if (next > open.stored) await open.tx.saveOffset(this.groupId, batch.topic, batch.partition, next);
    await open.tx.commit();
    this.open = undefined;
    mergeCounts(outcome, open.counts);
    outcome.deadLetters += open.letters.length;
    outcome.nextOffset = next;
    if (open.newestCommitTimeMs !== undefined) outcome.newestCommitTimeMs = Math.max(outcome.newestCommitTimeMs ?? 0, open.newestCommitTimeMs);
  }

  /**
   * The open transaction holds a target connection (the pool would wait for it forever at close)
   * and only source transactions without their commit marker: rolled back, they are read again
   * from the stored offset by the next process.
   */
  async release(): Promise<void> {
    await this.rollbackOpen().catch(() => undefined);
  }

  private async rollbackOpen(): Promise<void> {
    const open = this.open;
    this.open = undefined;
    await open?.tx.rollback();
  }
}

