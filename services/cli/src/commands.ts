import { applyCommand, replayCommand } from '@paysync/apply';
import { captureCommand, snapshotCommand } from '@paysync/capture';
import type { Command } from '@paysync/config';
import { reconcileCommand } from '@paysync/reconciler';
import { drillCommand } from './drill-command';
import { statusCommand } from './status-command';

export const COMMANDS: readonly Command[] = [captureCommand, applyCommand, reconcileCommand, replayCommand, statusCommand, snapshotCommand, drillCommand] as unknown as Command[];
