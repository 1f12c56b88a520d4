export * from './settings';
export * from './apply-command';
