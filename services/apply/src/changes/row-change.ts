import type { Row, TableShape } from '@paysync/contract';

/** A table as its writer schemas describe it, plus each column's Avro field name. */
export type SourceTable = TableShape & { fields: string[] };

/** The version of an event: (commit LSN, order inside the transaction). It grows with commit order. */
export interface Version {
  lsn: bigint;
  seq: bigint;
}

export function isNewer(a: Version, b: Version): boolean {
  return a.lsn > b.lsn || (a.lsn === b.lsn && a.seq > b.seq);
}

/** One decoded row event of a table topic, as apply uses it. */
export interface RowChange {
  kind: 'row';
  table: SourceTable;
  /** The key's identity in the version table: its column values as PostgreSQL text, JSON-encoded. */
  rowKey: string;
  key: Row;
  /** The new row; null for a delete. */
  row: Row | null;
  /** Avro field names whose value the source did not send (unchanged TOAST): leave them as they are. */
  unchanged: string[];
  /**
   * What the target may hold before this change, for the conflict check of bidirectional sync:
   * one row, or, once coalesced, each of the key's changes' own (empty: nothing to check).
   */
  expected: ExpectedRow[];
  version: Version;
  /** Source commit time, for the apply lag. */
  commitTimeMs: number;
  /** Kafka offset the change came from (the offsets table stores the next one). */
  offset: bigint;
}

/** A TRUNCATE of the source table: every row older than its version goes. */
export interface TruncateChange {
  kind: 'truncate';
  table: SourceTable;
  version: Version;
  commitTimeMs: number;
  offset: bigint;
}

export type Change = RowChange | TruncateChange;

/**
 * The target row a change expects to find, as the other side saw it: an update's before image
 * (the row must be there), a delete's (or the row is gone here too), an insert's or snapshot read's
 * own row (or the key is free here). None when the event carries no before image (a table without
 * REPLICA IDENTITY FULL, a tombstone): nothing to check against.
 */
export interface ExpectedRow {
  row: Row;
  absentOk: boolean;
}

export function expectedRowsOf(op: 'c' | 'u' | 'd' | 'r', before: Row | null, after: Row | null): ExpectedRow[] {
  if ((op === 'c' || op === 'r') && after) return [{ row: after, absentOk: true }];
  if (op === 'u' && before) return [{ row: before, absentOk: false }];
  if (op === 'd' && before) return [{ row: before, absentOk: true }];
  return [];
}

/**
 * Row changes grouped by the columns they left out (unchanged TOAST, sorted and joined): each
 * group is written with its own column list. The key of the group with none is "".
 */
export function byUnchangedColumns(changes: RowChange[]): Map<string, RowChange[]> {
  const groups = new Map<string, RowChange[]>();
  for (const change of changes) {
    const id = change.unchanged.length === 0 ? '' : [...change.unchanged].sort().join(',');
    const group = groups.get(id);
    if (group) group.push(change);
    else groups.set(id, [change]);
  }
  return groups;
}
