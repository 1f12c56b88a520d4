export * from './settings';
export * from './apply-command';
export * from './replay-command';
export { ReplayRun } from './replay/replay-run';
export type { ApplyConfig } from './apply-service';
