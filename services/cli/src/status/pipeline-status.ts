import { SettingError } from '@paysync/config';
import { explainKafkaError, kafkaFromSettings, offsetsOfTopics, type KafkaConnectionSettings, type PartitionOffsets } from '@paysync/kafka';
import { redactUrlCredentials } from '@paysync/observability';
import { checkPostgresAccess, createPool } from '@paysync/postgres';
import { openTargetReader, readEveryGroupOffsets, type GroupOffset } from '@paysync/reconciler';
import { applyGroupsStatus, topicsToMeasure } from './apply-status';
import type { PipelineStatus, TargetStatus } from './pipeline-verdict';
import { readReconcilerStatus } from './reconciler-status';
import { readSourceStatus } from './source-status';

export interface StatusInputs {
  sourceUrl: string;
  slot?: string;
  targetUrls: string[];
  reconcilerUrls: string[];
  topicPrefix: string;
  /** Needed to measure apply against the topic ends when targets are given (the settings insist on it). */
  kafka?: KafkaConnectionSettings;
  timeoutMs: number;
}

export const TARGETS_SETTING = 'PAYSYNC_STATUS_TARGET_URLS';

/** Errors that say a setting is wrong (a refused password, a bad certificate) end the command; the rest mean a part is unreachable now. */
function unreachable(err: unknown): string {
  if (err instanceof SettingError) throw err;
  return redactUrlCredentials((err as Error)?.message || String(err));
}

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

/** Reads every part it is given, each on its own: one part being away never hides the others. */
export async function readPipelineStatus(inputs: StatusInputs): Promise<PipelineStatus> {
  const status: PipelineStatus = { at: new Date().toISOString(), source: { url: redactUrlCredentials(inputs.sourceUrl) }, targets: [], reconcilers: [] };
  const [source, stored, reconcilers] = await Promise.all([readSource(inputs), Promise.all(inputs.targetUrls.map(readStoredOffsets)), Promise.all(inputs.reconcilerUrls.map((url) => readReconciler(url, inputs.timeoutMs)))]);
  status.source = { ...status.source, ...source };
  status.reconcilers = reconcilers;
  const reached = stored.flatMap((s) => s.offsets ?? []);
  const ends = await readTopicEnds(inputs, reached).catch((err: unknown) => {
    status.kafkaError = unreachable(err);
    return undefined;
  });
  status.targets = stored.map(({ target, offsets, error }): TargetStatus => {
    if (error !== undefined || offsets === undefined) return { target, groups: [], error };
    if (ends === undefined) return { target, groups: [], error: 'apply lag unknown: Kafka unreachable' };
    return { target, groups: applyGroupsStatus(offsets, ends, inputs.topicPrefix, Date.now()) };
  });
  return status;
}

async function readSource(inputs: StatusInputs): Promise<{ status?: PipelineStatus['source']['status']; error?: string }> {
  const pool = createPool(inputs.sourceUrl, { applicationName: 'paysync-status', max: 1, setting: 'PAYSYNC_SOURCE_URL' });
  try {
    await checkPostgresAccess(pool, inputs.sourceUrl, 'PAYSYNC_SOURCE_URL');
    return { status: await readSourceStatus(pool, inputs.slot) };
  } catch (err) {
    return { error: unreachable(err) };
  } finally {
    await pool.end();
  }
}

async function readStoredOffsets(url: string): Promise<{ target: string; offsets?: GroupOffset[]; error?: string }> {
  const target = redactUrlCredentials(url);
  const reader = openTargetReader(url, TARGETS_SETTING);
  try {
    await reader.checkAccess();
    return { target, offsets: await readEveryGroupOffsets(reader) };
  } catch (err) {
    return { target, error: unreachable(err) };
  } finally {
    await reader.close().catch(() => undefined);
  }
}

async function readReconciler(url: string, timeoutMs: number): Promise<PipelineStatus['reconcilers'][number]> {
  try {
    return { url, status: await readReconcilerStatus(url, timeoutMs) };
  } catch (err) {
    return { url, error: unreachable(err) };
  }
}

async function readTopicEnds(inputs: StatusInputs, stored: GroupOffset[]): Promise<Map<string, PartitionOffsets[]>> {
  const settings = inputs.kafka;
  if (stored.length === 0 || !settings) return new Map();
  try {
    return await offsetsOfTopics(kafkaFromSettings(settings, quiet, { retries: 2 }), topicsToMeasure(stored, inputs.topicPrefix));
  } catch (err) {
    throw explainKafkaError(err, settings) ?? err;
  }
}
