export * from './settings';
export * from './apply-command';
export * from './replay-command';
