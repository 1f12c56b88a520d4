import type { RowChange } from '../changes/row-change';

/** PAYSYNC_CONFLICT_POLICY: who wins when a change from the other side meets a row changed here. */
export type ConflictPolicy = 'dead-letter' | 'source-wins' | 'target-wins';

/** Only source-wins writes a conflicting change; every policy records it. */
export function writesConflictingChange(policy: ConflictPolicy): boolean {
  return policy === 'source-wins';
}

/** What the target found: a change whose target row is not the one the other side changed. */
export interface FoundConflict {
  change: RowChange;
  /** The target row as found (PostgreSQL's JSON of it); null when the key has no row here. */
  targetRow: Record<string, unknown> | null;
  reason: string;
  /** Whether the change was written anyway (source-wins). */
  applied: boolean;
}

/** A conflict with the topic partition its change came from, as apply records it. */
export interface Conflict extends FoundConflict {
  topic: string;
  partition: number;
}
