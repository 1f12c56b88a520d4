export * from './logger';
export * from './metrics';
export * from './health-server';
export * from './shutdown';
export * from './admin-guard';
export * from './metrics-text';
export * from './pushgateway';
