import type { ColumnShape } from '@paysync/contract';
import type { RowHash } from './row-hash';

/** A key as the PostgreSQL text of each primary-key column, in key order. */
export type Key = string[];

/** Keys k with lo <= k < hi (either end open when undefined), in the key's order. */
export interface KeyRange {
  lo?: Key;
  hi?: Key;
}

/** A compared column, typed as the target holds it (a hashed column: text). */
export interface ComparedColumn extends ColumnShape {
  /** What a side reads instead of the column itself: on the source, a hashed column's HMAC. */
  sql?: string;
}

/** What a side needs to know about the compared table. */
export interface ComparedTable {
  /** schema.table on the source. */
  label: string;
  /** Without PAYSYNC_COLUMN_EXCLUDE's columns: capture never sent them. */
  columns: ComparedColumn[];
  keyColumns: ComparedColumn[];
  /** PAYSYNC_COLUMN_HASH's columns: the target holds the HMAC of the source's text. */
  hashed: ReadonlySet<string>;
  /** How both sides hash its rows: agreed once per process (row-hash-agreement.ts). */
  rowHash: RowHash;
}

/** count(*) and two sums over the rows' hashes (row-hash.ts): equal digests, equal rows (to ~2^-120). */
export interface RangeDigest {
  count: number;
  sum1: string;
  sum2: string;
}

/**
 * One end of the comparison (the source, or the target), queried in SQL only: rows never leave
 * the database except as (key, hash) pairs of small ranges.
 */
export interface ReconcileSide {
  /** The digest of each piece of the range cut at `cuts` (ascending; none: the whole range), in one pass. */
  digests(table: ComparedTable, range: KeyRange, cuts: Key[]): Promise<RangeDigest[]>;
  /** Keys splitting the range into about `pieces` parts (of equal row count, or of equal key span). */
  boundaries(table: ComparedTable, range: KeyRange, pieces: number): Promise<Key[]>;
  /** Keys cutting the range at evenly spaced values of a single integer key, read from the index alone; none for other keys. */
  spanBoundaries(table: ComparedTable, range: KeyRange, pieces: number): Promise<Key[]>;
  /** key -> row hash of every row in the range. */
  rowHashes(table: ComparedTable, range: KeyRange): Promise<Map<string, string>>;
  /** key -> row hash of those keys that exist. */
  rowHashesOf(table: ComparedTable, keys: Key[]): Promise<Map<string, string>>;
  close(): Promise<void>;
}

/** A key as a map key. */
export function keyId(key: Key): string {
  return JSON.stringify(key);
}
