export * from './settings';
export * from './reconcile-command';
export { openTargetReader } from './sides/open-side';
export { readEveryGroupOffsets, type GroupOffset } from './sides/applied-offsets';
export { ReconcileService, hasDrift, type ReconcileConfig } from './reconcile-service';
export type { RunReport, TableReport } from './reconcile-run';
