import type { RunReport } from '../../services/reconciler/src/reconcile-run';
import type { CaptureFixture } from './capture-fixture';
import { startPaysync } from './paysync-process';
import { stackAddresses } from './stack-addresses';
import type { ScratchTarget } from './target-databases';

export interface ReconcileOutcome {
  code: number | string;
  /** What `paysync reconcile --once --json` printed. */
  report: RunReport;
  output: string;
}

/** Settings of a reconciler of the captured source against a target, fenced on capture's slot and the apply group. */
export function reconcilerEnv(source: CaptureFixture, target: ScratchTarget, applyGroupId: string, tables: string[], extra: Record<string, string> = {}): Record<string, string> {
  const stack = stackAddresses();
  return {
    PAYSYNC_SOURCE_URL: source.db.url,
    PAYSYNC_TARGET_URL: target.url,
    PAYSYNC_TABLES: tables.join(','),
    PAYSYNC_SLOT: source.slot,
    PAYSYNC_GROUP_ID: applyGroupId,
    PAYSYNC_KAFKA_BROKERS: stack.PAYSYNC_TEST_KAFKA_BROKERS,
    PAYSYNC_TOPIC_PREFIX: source.prefix,
    PAYSYNC_RECONCILE_RECHECK_DELAYS_MS: '500,1000,2000',
    ...extra,
  };
}

/**
 * One `paysync reconcile --once --json` of a captured source against a target, fenced on capture's
 * slot and on the apply group writing the target.
 */
export async function reconcileOnce(source: CaptureFixture, target: ScratchTarget, applyGroupId: string, tables: string[], extra: Record<string, string> = {}): Promise<ReconcileOutcome> {
  const run = startPaysync('reconcile', reconcilerEnv(source, target, applyGroupId, tables, extra), ['--once', '--json']);
  const code = await run.exited;
  const json = run.output().split('\n').find((line) => line.startsWith('{"startedAt"'));
  if (json === undefined) throw new Error(`reconcile printed no report (exit ${code}):\n${run.output()}`);
  return { code, report: JSON.parse(json) as RunReport, output: run.output() };
}
