export * from './settings';
export * from './capture-command';
