export * from './settings';
export * from './capture-command';
export * from './capture-service';
export * from './snapshot-command';
export { recentSnapshotRequests } from './snapshot/snapshot-requests';
