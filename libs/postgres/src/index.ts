export * from './pool';
export * from './lsn';
export * from './session-settings';
export * from './replication-stream';
export * from './libpq-url';
export * from './postgres-access';
export * from './tls-negotiation';
export * from './prepared-statements';
