import { defineCommand, notBuiltYet } from '@paysync/config';
import { applySettings } from './settings';

export const applyCommand = defineCommand({
  name: 'apply',
  summary: 'Consume the table topics and apply them to a target database, effectively once.',
  settings: applySettings,
  run: notBuiltYet('apply'),
});

export const replayCommand = defineCommand({
  name: 'replay',
  summary: 'Rebuild a replica from the topics (from earliest, a time or offsets), then print a summary.',
  settings: applySettings,
  run: notBuiltYet('replay'),
});
