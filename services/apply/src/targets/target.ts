import type { RowChange, SourceTable, Version } from '../changes/row-change';
import type { PrivilegeProblem } from './missing-privileges';
import type { ConflictPolicy, FoundConflict } from '../conflicts/conflict';

import type { Dependency } from '@paysync/config';
import type { TargetName } from '@paysync/contract';

export type { TargetName };

/** A target table ready for writes of one source shape (created, missing columns added). */
export interface ResolvedTable {
  source: SourceTable;
  name: TargetName;
  /** For logs, metrics and the version table: schema.table or table. */
  label: string;
  /** The target's primary-key columns. */
  primaryKey: string[];
  /** The target's type of each column (a column the target has and the source may not). */
  columnTypes: Map<string, string>;
}

export interface StoredOffset {
  topic: string;
  partition: number;
  nextOffset: bigint;
}

/** What one apply of a table's changes did. */
export interface ApplyResult {
  /** Changes whose version was newer than the target's and were written. */
  applied: number;
  /** Changes older than (or equal to) what the target already holds: skipped by the version guard. */
  stale: number;
  /** Bidirectional targets: changes that met a row changed here (not counted in applied unless written). */
  conflicts?: FoundConflict[];
}

/**
 * One open target transaction: the row changes of a batch and the offsets that say the batch is
 * done commit together, or not at all.
 */
export interface TargetTransaction {
  /** Locks the partition's row in the offsets table and returns the next offset to apply (0 when none). */
  lockOffset(groupId: string, topic: string, partition: number): Promise<bigint>;
  saveOffset(groupId: string, topic: string, partition: number, nextOffset: bigint): Promise<void>;
  /** Writes the changes (at most one per key) whose version is newer than the target's. */
  applyRows(table: ResolvedTable, changes: RowChange[]): Promise<ApplyResult>;
  /** Deletes every row of the table older than `version` and marks those keys deleted at it. */
  truncate(table: ResolvedTable, version: Version): Promise<void>;
  /** Savepoints isolate one change when a batch hits a poison row. */
  savepoint(): Promise<void>;
  rollbackToSavepoint(): Promise<void>;
  releaseSavepoint(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface TargetOptions {
  /** Apply purges expired delete markers (PAYSYNC_DELETE_MARKER_RETENTION_MS): it deletes from the row versions table. */
  purgesDeleteMarkers: boolean;
  /**
   * PAYSYNC_BIDIRECTIONAL (PostgreSQL only): the target is also written by its own users; apply
   * tags its transactions with the group's replication origins and checks each change for conflicts.
   */
  bidirectional?: { groupId: string; policy: ConflictPolicy };
  /** PAYSYNC_TARGET_PREPARED_STATEMENTS (PostgreSQL only; default true). */
  preparedStatements?: boolean;
}

/** A target database: PostgreSQL, or MariaDB/MySQL. */
export interface Target {
  readonly kind: 'postgres' | 'mysql';
  /** Where PAYSYNC_TARGET_URL says it is, for the line saying it does not answer. */
  readonly dependency: Dependency;
  /**
   * Checks that apply may write these tables and its own (offsets, row versions), and throws a
   * MissingPrivilegeError naming all it lacks; then creates its own tables when missing.
   */
  prepare(tables: TargetName[]): Promise<void>;
  /** What apply lacks to write these tables and its own (empty: nothing). */
  missingPrivileges(tables: TargetName[]): Promise<PrivilegeProblem[]>;
  /** Creates the table if missing and adds missing columns (nullable); outside any transaction. */
  resolve(source: SourceTable, name: TargetName): Promise<ResolvedTable>;
  begin(): Promise<TargetTransaction>;
  storedOffsets(groupId: string): Promise<StoredOffset[]>;
  /**
   * Deletes up to `limit` delete markers (row versions of deleted keys) written more than
   * `olderThanMs` ago, in a short transaction of its own, never a version of a key that exists;
   * answers how many.
   */
  purgeDeleteMarkers(olderThanMs: number, limit: number): Promise<number>;
  /** Connection lost, deadlock, serialization failure, target down: retry the batch. */
  isTransient(err: unknown): boolean;
  /** The privilege this error says apply lacks, with the GRANT; undefined when it says something else. */
  privilegeProblem(err: unknown): PrivilegeProblem | undefined;
  close(): Promise<void>;
}
