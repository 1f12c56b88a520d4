import { defineCommand, notBuiltYet } from '@paysync/config';
import { reconcilerSettings } from './settings';

export const reconcileCommand = defineCommand({
  name: 'reconcile',
  summary: 'Compare source and target by hashed key ranges and report drifted rows.',
  settings: reconcilerSettings,
  run: notBuiltYet('reconcile'),
});
