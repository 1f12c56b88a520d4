import type { Change } from '../changes/row-change';
import type { DeadLetterWriter } from '../dead-letter/dead-letter-writer';
import type { ResolvedTable, Target } from '../targets/target';
import { TargetRefusedRow, type ChangeWriter, type DecodedRecord, type PartitionBatch, type WriteCounts } from './change-writer';

export type { PartitionBatch };

/** What a batch did, for metrics and progress. */
export interface BatchOutcome extends WriteCounts {
  /** Offset the partition continues from (the offsets table holds the same). */
  nextOffset: bigint;
  /** Records already applied before (offset below the stored one): skipped. */
  redelivered: number;
  deadLetters: number;
  /** Source commit time of the newest change applied, for the apply lag. */
  newestCommitTimeMs: number | undefined;
  /** Replay: the batch held a change past the upper bound, so this partition is done. */
  reachedBound: boolean;
}

/** Applies one partition's records; both apply modes implement it. */
export interface PartitionApplier {
  apply(batch: PartitionBatch, stopBefore?: (change: Change) => boolean): Promise<BatchOutcome>;
  /** At shutdown: gives back what it holds across batches (an open target transaction, rolled back). */
  release?(): Promise<void>;
}

/**
 * Per-table parallel mode: one partition's batch effectively once, in one target transaction with
 * the partition's next offset; records below the stored offset are redeliveries and skipped;
 * poison records are dead-lettered and the rest goes on. Apply and replay both run this.
 */
export class BatchApplier implements PartitionApplier {
  constructor(
    private readonly groupId: string,
    private readonly target: Target,
    private readonly writer: ChangeWriter,
    private readonly deadLetters: DeadLetterWriter,
  ) {}

  async apply(batch: PartitionBatch, stopBefore?: (change: Change) => boolean): Promise<BatchOutcome> {
    let decoded = await this.writer.decode(batch);
    const bound = stopBefore ? decoded.find((d) => d.change && stopBefore(d.change)) : undefined;
    if (bound) decoded = decoded.filter((d) => d.offset < bound.offset);
    const lastOffset = bound ? bound.offset - 1n : batch.records.reduce((max, r) => (r.offset > max ? r.offset : max), -1n);
    const tables = await this.writer.resolveTables(decoded, batch);
    let outcome: BatchOutcome;
    try {
      outcome = await this.inTransaction(batch, decoded, tables, lastOffset, false);
    } catch (err) {
      if (!(err instanceof TargetRefusedRow)) throw err;
      outcome = await this.inTransaction(batch, decoded, tables, lastOffset, true);
    }
    return { ...outcome, reachedBound: bound !== undefined };
  }

  private async inTransaction(batch: PartitionBatch, decoded: DecodedRecord[], tables: Map<Change['table'], ResolvedTable>, lastOffset: bigint, oneByOne: boolean): Promise<BatchOutcome> {
    const tx = await this.target.begin();
    try {
      const stored = await tx.lockOffset(this.groupId, batch.topic, batch.partition);
      const fresh = decoded.filter((d) => d.offset >= stored);
      const changes = fresh.flatMap((d) => (d.change ? [d.change] : []));
      const letters = fresh.flatMap((d) => (d.letter ? [d.letter] : []));
      const counts = await this.writer.write(tx, changes, tables, letters, batch, oneByOne);
      await this.deadLetters.write(letters);
      const nextOffset = lastOffset + 1n > stored ? lastOffset + 1n : stored;
      if (nextOffset > stored) await tx.saveOffset(this.groupId, batch.topic, batch.partition, nextOffset);
      await tx.commit();
      return {
        ...counts,
        nextOffset,
        redelivered: batch.records.filter((r) => r.offset < stored).length,
        deadLetters: letters.length,
        newestCommitTimeMs: newestCommitTime(changes),
        reachedBound: false,
      };
    } catch (err) {
      await tx.rollback();
      throw err;
    }
  }
}

export function newestCommitTime(changes: Change[]): number | undefined {
  return changes.reduce<number | undefined>((newest, c) => (newest === undefined || c.commitTimeMs > newest ? c.commitTimeMs : newest), undefined);
}
