export * from './settings';
export * from './capture-command';
export * from './capture-service';
