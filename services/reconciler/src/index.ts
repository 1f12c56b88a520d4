export * from './settings';
export * from './reconcile-command';
