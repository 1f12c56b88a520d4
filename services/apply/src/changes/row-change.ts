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
 * Row changes grouped by the columns they left out (unchanged TOAST, sorted and joined): each
 * group is written with its own column list. The key of the group with none is "".
 */
export function byUnchangedColumns(changes: RowChange[]): Map<string, RowChange[]> {
  const groups = new Map<string, RowChange[]>();
  for (const change of changes) {
    const id = [...change.unchanged].sort().join(',');
    const group = groups.get(id);
    if (group) group.push(change);
    else groups.set(id, [change]);
  }
  return groups;
}
