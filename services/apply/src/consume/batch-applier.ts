import type { Change } from '../changes/row-change';
import type { DeadLetterWriter } from '../dead-letter/dead-letter-writer';
import type { ResolvedTable, Target } from '../targets/target';
import { TargetRefusedRow, type ChangeWriter, type DecodedRecord, type PartitionBatch, type WriteCounts } from './change-writer';
import { advanceOver, positionAfter, type SkippedRecords } from './kafka-position';

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
  /** Records kafkajs resolved without a batch (markers, aborted): answers the offset now stored, when it moved. */
  skip(skipped: SkippedRecords): Promise<bigint | undefined>;
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
    // Replay's bound stops the batch before it; otherwise the whole fetch is done, its markers too.
    const nextOffset = bound ? bound.offset : positionAfter(batch);
    const tables = await this.writer.resolveTables(decoded, batch);
    let outcome: BatchOutcome;
    try {
      outcome = await this.inTransaction(batch, decoded, tables, nextOffset, false);
    } catch (err) {
      if (!(err instanceof TargetRefusedRow)) throw err;
      outcome = await this.inTransaction(batch, decoded, tables, nextOffset, true);
    }
    return { ...outcome, reachedBound: bound !== undefined };
  }

  skip(skipped: SkippedRecords): Promise<bigint | undefined> {
    return advanceOver(this.target, this.groupId, skipped);
  }

  private async inTransaction(batch: PartitionBatch, decoded: DecodedRecord[], tables: Map<Change['table'], ResolvedTable>, batchEnd: bigint, oneByOne: boolean): Promise<BatchOutcome> {
    const tx = await this.target.begin();
    try {
      const stored = await tx.lockOffset(this.groupId, batch.topic, batch.partition);
      const fresh = decoded.filter((d) => d.offset >= stored);
      const changes = fresh.flatMap((d) => (d.change ? [d.change] : []));
      const letters = fresh.flatMap((d) => (d.letter ? [d.letter] : []));
      const counts = await this.writer.write(tx, changes, tables, letters, batch, oneByOne);
      await this.deadLetters.write(letters);
      await this.writer.recordConflicts(counts);
      const nextOffset = batchEnd > stored ? batchEnd : stored;
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
