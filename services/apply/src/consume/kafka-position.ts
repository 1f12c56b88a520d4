import type { Target } from '../targets/target';
import type { PartitionBatch } from './change-writer';

/**
 * Records of a partition a fetch held but kafkajs never handed to apply: every offset from `first`
 * to `last` is a Kafka transaction marker or a record of an aborted transaction.
 */
export interface SkippedRecords {
  topic: string;
  partition: number;
  first: bigint;
  last: bigint;
}

/**
 * The offset apply stores for a partition is the consumer's position, Kafka's control records
 * included: the offset after the last record it has been through, not after the last record it
 * applied.
 *
 * Why: a transactional producer (capture fences older replicas that way) ends each transaction
 * with a commit or abort marker, a control record that takes an offset but is never handed to a
 * read_committed consumer, and the records of an aborted transaction are dropped as well. The end
 * offsets apply's stored offsets are held against (the reconciler's fence, replay's end, the lag
 * metric) count them all. Stored after the last change applied, the offset would stay below the
 * end forever once a partition's last transaction is committed.
 *
 * So a batch applied whole stores `positionAfter(batch)` (its trailing markers included); a fetch
 * holding nothing but markers and aborted records, which kafkajs resolves itself without calling
 * eachBatch, moves the stored offset over them with `advanceOver`. Never past a record not applied:
 * replay's bound and a source transaction that transactional mode holds open across batches keep
 * the stored offset where their records begin.
 */
export function positionAfter(batch: PartitionBatch): bigint {
  return batch.lastOffset + 1n;
}

/**
 * Moves the partition's stored offset from exactly `first` to `last + 1`, in a target transaction
 * of its own (compare-and-set under the row lock): when the target holds another offset, a batch
 * stored it meanwhile (past these records) or records before `first` are not applied yet, and it is
 * left alone. So it can neither skip a record nor move an offset back. Answers the offset it stored.
 */
export async function advanceOver(target: Target, groupId: string, skipped: SkippedRecords): Promise<bigint | undefined> {
  const tx = await target.begin();
  try {
    const stored = await tx.lockOffset(groupId, skipped.topic, skipped.partition);
    if (stored !== skipped.first) {
      await tx.rollback();
      return undefined;
    }
    await tx.saveOffset(groupId, skipped.topic, skipped.partition, skipped.last + 1n);
    await tx.commit();
    return skipped.last + 1n;
  } catch (err) {
    await tx.rollback();
    throw err;
  }
}
