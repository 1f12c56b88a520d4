import { defineCommand, notBuiltYet } from '@paysync/config';
import { captureSettings } from './settings';

export const captureCommand = defineCommand({
  name: 'capture',
  summary: 'Stream changes of the configured PostgreSQL tables into Kafka (snapshot first).',
  settings: captureSettings,
  run: notBuiltYet('capture'),
});
