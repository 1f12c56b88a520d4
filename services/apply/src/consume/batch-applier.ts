import { UndecodableRecordError } from '@paysync/contract';
import { coalesceByKey } from '../changes/coalesce';
import type { RecordDecoder, RawRecord } from '../changes/record-decoder';
import type { Change, RowChange, TruncateChange } from '../changes/row-change';
import type { DeadLetter, DeadLetterWriter } from '../dead-letter/dead-letter-writer';
import type { TableNames } from '../targets/table-names';
import type { ResolvedTable, Target, TargetTransaction } from '../targets/target';

/** The records of one topic partition, in offset order. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  records: RawRecord[];
}

/** What a batch did, for metrics and progress. */
export interface BatchOutcome {
  /** Offset the partition continues from (the offsets table holds the same). */
  nextOffset: bigint;
  /** Records already applied before (offset below the stored one): skipped. */
  redelivered: number;
  applied: { table: string; op: 'upsert' | 'delete' | 'truncate'; count: number }[];
  stale: number;
  deadLetters: number;
  /** Source commit time of the newest change applied, for the apply lag. */
  newestCommitTimeMs: number | undefined;
  /** Replay: the batch held a change past the upper bound, so this partition is done. */
  reachedBound: boolean;
}

/** A batch stopped on a row the target refuses: it is re-run one change at a time to find it. */
class TargetRefusedRow extends Error {}

interface Decoded {
  changes: Change[];
  letters: DeadLetter[];
}

/**
 * Applies one partition's batch effectively once: in one target transaction, the changes newer
 * than the target's versions and the partition's next offset; records below the stored offset are
 * redeliveries and skipped; poison records are dead-lettered and the rest goes on. Apply and replay
 * both run this.
 */
export class BatchApplier {
  constructor(
    private readonly groupId: string,
    private readonly target: Target,
    private readonly decoder: RecordDecoder,
    private readonly names: TableNames,
    private readonly deadLetters: DeadLetterWriter,
  ) {}

  async apply(batch: PartitionBatch, stopBefore?: (change: Change) => boolean): Promise<BatchOutcome> {
    const decoded = await this.decode(batch);
    const bound = stopBefore ? decoded.changes.find(stopBefore) : undefined;
    const kept = bound ? cutBefore(decoded, bound.offset) : { ...decoded, lastOffset: lastOffsetOf(batch) };
    const tables = await this.resolveTables(kept.changes, kept.letters, batch);
    let outcome: BatchOutcome;
    try {
      outcome = await this.inTransaction(batch, kept.changes, kept.letters, tables, kept.lastOffset, false);
    } catch (err) {
      if (!(err instanceof TargetRefusedRow)) throw err;
      outcome = await this.inTransaction(batch, kept.changes, kept.letters, tables, kept.lastOffset, true);
    }
    return { ...outcome, reachedBound: bound !== undefined };
  }

  private async decode(batch: PartitionBatch): Promise<Decoded> {
    const changes: Change[] = [];
    const letters: DeadLetter[] = [];
    for (const record of batch.records) {
      try {
        const change = await this.decoder.decode(record);
        if (change) changes.push(change);
      } catch (err) {
        if (!(err instanceof UndecodableRecordError)) throw err;
        letters.push(letterOf(batch, record, `undecodable: ${err.message}`));
      }
    }
    return { changes, letters };
  }

  /** Target tables are created or altered before the batch's transaction (MariaDB's DDL commits). */
  private async resolveTables(changes: Change[], letters: DeadLetter[], batch: PartitionBatch): Promise<Map<Change['table'], ResolvedTable>> {
    const tables = new Map<Change['table'], ResolvedTable>();
    for (const change of [...changes]) {
      if (tables.has(change.table)) continue;
      try {
        tables.set(change.table, await this.names.resolve(change.table));
      } catch (err) {
        if (this.target.isTransient(err)) throw err;
        // The target cannot hold this table (no key, a type it refuses): its records are dead letters.
        const reason = `target table for ${change.table.schema}.${change.table.table}: ${(err as Error).message}`;
        for (const refused of changes.filter((c) => c.table === change.table)) {
          const record = batch.records.find((r) => r.offset === refused.offset);
          if (record) letters.push(letterOf(batch, record, reason));
        }
        changes.splice(0, changes.length, ...changes.filter((c) => c.table !== change.table));
      }
    }
    return tables;
  }

  private async inTransaction(
    batch: PartitionBatch,
    allChanges: Change[],
    allLetters: DeadLetter[],
    tables: Map<Change['table'], ResolvedTable>,
    lastOffset: bigint,
    oneByOne: boolean,
  ): Promise<BatchOutcome> {
    const tx = await this.target.begin();
    try {
      const stored = await tx.lockOffset(this.groupId, batch.topic, batch.partition);
      const changes = allChanges.filter((c) => c.offset >= stored);
      const letters = allLetters.filter((l) => l.offset >= stored);
      const outcome: BatchOutcome = {
        nextOffset: lastOffset + 1n > stored ? lastOffset + 1n : stored,
        redelivered: batch.records.filter((r) => r.offset < stored).length,
        applied: [],
        stale: 0,
        deadLetters: 0,
        newestCommitTimeMs: undefined,
        reachedBound: false,
      };
      for (const segment of segments(changes)) {
        if (segment.kind === 'truncate') {
          const table = tables.get(segment.change.table);
          if (table) await tx.truncate(table, segment.change.version);
          outcome.applied.push({ table: table?.label ?? segment.change.table.table, op: 'truncate', count: 1 });
        } else {
          await this.applyRows(tx, segment.changes, tables, outcome, letters, batch, oneByOne);
        }
      }
      for (const change of changes) outcome.newestCommitTimeMs = Math.max(outcome.newestCommitTimeMs ?? 0, change.commitTimeMs);
      await this.deadLetters.write(letters);
      outcome.deadLetters = letters.length;
      if (outcome.nextOffset > stored) await tx.saveOffset(this.groupId, batch.topic, batch.partition, outcome.nextOffset);
      await tx.commit();
      return outcome;
    } catch (err) {
      await tx.rollback();
      throw err;
    }
  }

  private async applyRows(
    tx: TargetTransaction,
    rowChanges: RowChange[],
    tables: Map<Change['table'], ResolvedTable>,
    outcome: BatchOutcome,
    letters: DeadLetter[],
    batch: PartitionBatch,
    oneByOne: boolean,
  ): Promise<void> {
    const byTable = new Map<ResolvedTable, RowChange[]>();
    for (const change of coalesceByKey(rowChanges)) {
      const table = tables.get(change.table);
      if (!table) continue;
      const list = byTable.get(table) ?? [];
      list.push(change);
      byTable.set(table, list);
    }
    for (const [table, changes] of byTable) {
      if (!oneByOne) {
        try {
          const result = await tx.applyRows(table, changes);
          this.count(outcome, table, changes, result.stale);
        } catch (err) {
          if (this.target.isTransient(err)) throw err;
          throw new TargetRefusedRow((err as Error).message);
        }
        continue;
      }
      for (const change of changes) {
        await tx.savepoint();
        try {
          const result = await tx.applyRows(table, [change]);
          await tx.releaseSavepoint();
          this.count(outcome, table, [change], result.stale);
        } catch (err) {
          if (this.target.isTransient(err)) throw err;
          await tx.rollbackToSavepoint();
          const record = batch.records.find((r) => r.offset === change.offset);
          if (record) letters.push(letterOf(batch, record, `target refused the row: ${(err as Error).message}`));
        }
      }
    }
  }

  private count(outcome: BatchOutcome, table: ResolvedTable, changes: RowChange[], stale: number): void {
    const deletes = changes.filter((c) => c.row === null).length;
    outcome.stale += stale;
    // Stale changes are not split by kind: counts are of changes handed to the target.
    if (changes.length - deletes > 0) outcome.applied.push({ table: table.label, op: 'upsert', count: changes.length - deletes });
    if (deletes > 0) outcome.applied.push({ table: table.label, op: 'delete', count: deletes });
  }
}

type Segment = { kind: 'rows'; changes: RowChange[] } | { kind: 'truncate'; change: TruncateChange };

/** Row changes between truncates are coalesced together; a truncate is a barrier. */
function segments(changes: Change[]): Segment[] {
  const out: Segment[] = [];
  let rows: RowChange[] = [];
  for (const change of changes) {
    if (change.kind === 'row') {
      rows.push(change);
    } else {
      if (rows.length > 0) out.push({ kind: 'rows', changes: rows });
      rows = [];
      out.push({ kind: 'truncate', change });
    }
  }
  if (rows.length > 0) out.push({ kind: 'rows', changes: rows });
  return out;
}

function lastOffsetOf(batch: PartitionBatch): bigint {
  return batch.records.reduce((max, r) => (r.offset > max ? r.offset : max), -1n);
}

/** Replay's upper bound: the batch ends just before the first change past it. */
function cutBefore(decoded: Decoded, offset: bigint): Decoded & { lastOffset: bigint } {
  return {
    changes: decoded.changes.filter((c) => c.offset < offset),
    letters: decoded.letters.filter((l) => l.offset < offset),
    lastOffset: offset - 1n,
  };
}

function letterOf(batch: PartitionBatch, record: RawRecord, reason: string): DeadLetter {
  return { topic: batch.topic, partition: batch.partition, offset: record.offset, key: record.key, value: record.value, reason };
}
