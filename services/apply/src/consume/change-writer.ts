import { UndecodableRecordError } from '@paysync/contract';
import { coalesceByKey } from '../changes/coalesce';
import type { RawRecord, RecordDecoder } from '../changes/record-decoder';
import type { Change, RowChange, TruncateChange } from '../changes/row-change';
import type { Conflict } from '../conflicts/conflict';
import type { ConflictWriter } from '../conflicts/conflict-writer';
import { DecodeTurns } from './decode-turns';
import type { DeadLetter } from '../dead-letter/dead-letter-writer';
import type { TableNames } from '../targets/table-names';
import type { ApplyResult, ResolvedTable, Target, TargetTransaction } from '../targets/target';

/** The records of one topic partition, in offset order, from one fetch. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  records: RawRecord[];
  /**
   * The first and last offset the fetch went through, Kafka's transaction markers and aborted
   * records included (`records` holds only the rest): see kafka-position.ts.
   */
  firstOffset: bigint;
  lastOffset: bigint;
}

/** What was written, for metrics and progress. */
export interface WriteCounts {
  applied: { table: string; op: 'upsert' | 'delete' | 'truncate'; count: number }[];
  stale: number;
  /** Bidirectional targets: conflicts found, to be recorded before the target commits. */
  conflicts?: Conflict[];
}

/** A batch stopped on a row the target refuses: it is re-run one change at a time to find it. */
export class TargetRefusedRow extends Error {}

/** A decoded record: a change, a dead letter, or nothing to apply (a tombstone, a commit marker). */
export interface DecodedRecord {
  offset: bigint;
  change?: Change;
  letter?: DeadLetter;
  /** The transaction topic's commit marker: neither key nor value. */
  marker: boolean;
}

/**
 * The steps both apply modes share: decoding records (poison ones become dead letters), creating
 * or altering target tables, and writing changes inside an open target transaction.
 */
export class ChangeWriter {
  private readonly turns = new DecodeTurns();

  constructor(
    private readonly target: Target,
    private readonly decoder: RecordDecoder,
    private readonly names: TableNames,
    /** Where conflicts are recorded (a bidirectional target). */
    private readonly conflicts?: ConflictWriter,
  ) {}

  /** Called before the target commits: a crash in between may record a conflict twice, never lose one. */
  async recordConflicts(counts: WriteCounts): Promise<void> {
    if (counts.conflicts && counts.conflicts.length > 0) await this.conflicts?.write(counts.conflicts);
  }

  /**
   * A passing failure (retried) or a missing privilege (apply stops): either way the record is
   * fine, and dead-lettering it would lose it.
   */
  private notTheRecordsFault(err: unknown): boolean {
    return this.target.isTransient(err) || this.target.privilegeProblem(err) !== undefined;
  }

  /** In turn with the other partitions' batches (DecodeTurns). */
  decode(batch: PartitionBatch): Promise<DecodedRecord[]> {
    return this.turns.inTurn(() => this.decodeRecords(batch));
  }

  private async decodeRecords(batch: PartitionBatch): Promise<DecodedRecord[]> {
    const out: DecodedRecord[] = [];
    for (let i = 0; i < batch.records.length; i++) {
      await DecodeTurns.breather(i);
      const record = batch.records[i];
      try {
        let change = this.decoder.decode(record);
        if (change instanceof Promise) change = await change;
        out.push({ offset: record.offset, change: change ?? undefined, marker: record.key === null && record.value === null });
      } catch (err) {
        if (!(err instanceof UndecodableRecordError)) throw err;
        out.push({ offset: record.offset, letter: letterOf(batch, record, `undecodable: ${err.message}`), marker: false });
      }
    }
    return out;
  }

  /**
   * Target tables are created or altered before the batch's transaction (MariaDB's DDL commits).
   * A table the target cannot hold (no key, a type it refuses) turns its records into dead letters;
   * DDL refused for lack of privilege stops apply instead.
   */
  async resolveTables(decoded: DecodedRecord[], batch: PartitionBatch): Promise<Map<Change['table'], ResolvedTable>> {
    const tables = new Map<Change['table'], ResolvedTable>();
    const refused = new Map<Change['table'], string>();
    for (const item of decoded) {
      const change = item.change;
      if (!change || tables.has(change.table) || refused.has(change.table)) continue;
      try {
        tables.set(change.table, await this.names.resolve(change.table));
      } catch (err) {
        if (this.notTheRecordsFault(err)) throw err;
        refused.set(change.table, `target table for ${change.table.schema}.${change.table.table}: ${(err as Error).message}`);
      }
    }
    for (const item of decoded) {
      const reason = item.change && refused.get(item.change.table);
      if (!reason) continue;
      const record = batch.records.find((r) => r.offset === item.offset);
      if (record) item.letter = letterOf(batch, record, reason);
      item.change = undefined;
    }
    return tables;
  }

  /**
   * Writes changes in order: row changes between truncates coalesced per key, one statement per
   * table; with `oneByOne`, each change under its own savepoint, so a row the target refuses
   * becomes a dead letter instead of failing the rest.
   */
  async write(tx: TargetTransaction, changes: Change[], tables: Map<Change['table'], ResolvedTable>, letters: DeadLetter[], batch: PartitionBatch, oneByOne: boolean): Promise<WriteCounts> {
    const counts: WriteCounts = { applied: [], stale: 0 };
    for (const segment of segments(changes)) {
      if (segment.kind === 'truncate') {
        const table = tables.get(segment.change.table);
        if (!table) continue;
        await tx.truncate(table, segment.change.version);
        counts.applied.push({ table: table.label, op: 'truncate', count: 1 });
      } else {
        await this.writeRows(tx, segment.changes, tables, counts, letters, batch, oneByOne);
      }
    }
    return counts;
  }

  private async writeRows(
    tx: TargetTransaction,
    rowChanges: RowChange[],
    tables: Map<Change['table'], ResolvedTable>,
    counts: WriteCounts,
    letters: DeadLetter[],
    batch: PartitionBatch,
    oneByOne: boolean,
  ): Promise<void> {
    const byTable = new Map<ResolvedTable, RowChange[]>();
    for (const change of coalesceByKey(rowChanges)) {
      const table = tables.get(change.table);
      if (!table) continue;
      const ofTable = byTable.get(table);
      if (ofTable) ofTable.push(change);
      else byTable.set(table, [change]);
    }
    for (const [table, changes] of byTable) {
      if (!oneByOne) {
        try {
          count(counts, table, changes, await tx.applyRows(table, changes), batch);
        } catch (err) {
          if (this.notTheRecordsFault(err)) throw err;
          throw new TargetRefusedRow((err as Error).message);
        }
        continue;
      }
      for (const change of changes) {
        await tx.savepoint();
        try {
          const result = await tx.applyRows(table, [change]);
          await tx.releaseSavepoint();
          count(counts, table, [change], result, batch);
        } catch (err) {
          if (this.notTheRecordsFault(err)) throw err;
          await tx.rollbackToSavepoint();
          const record = batch.records.find((r) => r.offset === change.offset);
          if (record) letters.push(letterOf(batch, record, `target refused the row: ${(err as Error).message}`));
        }
      }
    }
  }
}

function count(counts: WriteCounts, table: ResolvedTable, all: RowChange[], result: ApplyResult, batch: PartitionBatch): void {
  const keptOut = new Set((result.conflicts ?? []).filter((c) => !c.applied).map((c) => c.change));
  const changes = keptOut.size > 0 ? all.filter((c) => !keptOut.has(c)) : all;
  if (result.conflicts && result.conflicts.length > 0) {
    counts.conflicts = [...(counts.conflicts ?? []), ...result.conflicts.map((c) => ({ ...c, topic: batch.topic, partition: batch.partition }))];
  }
  const deletes = changes.filter((c) => c.row === null).length;
  counts.stale += result.stale;
  if (changes.length - deletes > 0) counts.applied.push({ table: table.label, op: 'upsert', count: changes.length - deletes });
  if (deletes > 0) counts.applied.push({ table: table.label, op: 'delete', count: deletes });
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

export function letterOf(batch: PartitionBatch, record: RawRecord, reason: string): DeadLetter {
  return { topic: batch.topic, partition: batch.partition, offset: record.offset, key: record.key, value: record.value, reason };
}

export function mergeCounts(into: WriteCounts, more: WriteCounts): void {
  into.applied.push(...more.applied);
  into.stale += more.stale;
  if (more.conflicts) into.conflicts = [...(into.conflicts ?? []), ...more.conflicts];
}
