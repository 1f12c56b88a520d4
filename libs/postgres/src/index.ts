export * from './pool';
export * from './lsn';
export * from './session-settings';
export * from './replication-stream';
