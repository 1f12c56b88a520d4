import type { ApplyGroupStatus } from './apply-status';
import type { ReconcilerStatus } from './reconciler-status';
import type { SourceStatus } from './source-status';

/** A target's apply groups, or why they could not be read. */
export interface TargetStatus {
  /** The target URL without its password. */
  target: string;
  groups: ApplyGroupStatus[];
  error?: string;
}

export interface PipelineStatus {
  at: string;
  source: { url: string; status?: SourceStatus; error?: string };
  targets: TargetStatus[];
  /** Why the apply lag could not be measured (Kafka unreachable); undefined when it was or was not asked for. */
  kafkaError?: string;
  reconcilers: { url: string; status?: ReconcilerStatus; error?: string }[];
}

export type VerdictState = 'ok' | 'degraded' | 'unreachable';

export interface Verdict {
  state: VerdictState;
  /** What needs attention, one line each (empty when ok). */
  reasons: string[];
}

/**
 * The overall verdict: unreachable when a part could not be read (a status that cannot see a part
 * must not say it is fine), degraded when something needs attention, else ok.
 */
export function pipelineVerdict(status: PipelineStatus, stallSeconds: number): Verdict {
  const unreachable = [
    status.source.error && `source ${status.source.url}: ${status.source.error}`,
    status.kafkaError && `Kafka: ${status.kafkaError}`,
    ...status.targets.map((t) => t.error && `target ${t.target}: ${t.error}`),
    ...status.reconcilers.map((r) => r.error && `reconciler ${r.url}: ${r.error}`),
  ].filter((r): r is string => Boolean(r));
  if (unreachable.length > 0) return { state: 'unreachable', reasons: unreachable };

  const reasons: string[] = [];
  const source = status.source.status;
  if (source && source.walLevel !== 'logical') reasons.push(`the source's wal_level is ${source.walLevel}, not logical: capture cannot stream`);
  for (const slot of source?.slots ?? []) {
    if (slot.walStatus === 'lost') reasons.push(`slot ${slot.slot}: its WAL is lost (wal_status lost); capture stops, see PAYSYNC_RESNAPSHOT_ON_SLOT_LOSS`);
    else if (!slot.active) reasons.push(`slot ${slot.slot}: no capture streams it (inactive); the source retains ${slot.retainedWalBytes ?? '?'} bytes of WAL for it`);
  }
  for (const failed of source?.snapshotRequests.filter((r) => r.state === 'failed') ?? []) reasons.push(`snapshot request ${failed.id} (${failed.table}) failed: ${failed.error ?? 'no reason recorded'}`);
  for (const target of status.targets) {
    if (target.groups.length === 0) reasons.push(`target ${target.target}: no apply group has stored progress there yet`);
    for (const g of target.groups) {
      if (g.behindRecords > 0 && g.stalledSeconds >= stallSeconds) reasons.push(`target ${target.target}, group ${g.groupId}: ${g.behindRecords} records waiting and no progress for ${g.stalledSeconds} s`);
      if (g.deadLetters > 0) reasons.push(`target ${target.target}, group ${g.groupId}: ${g.deadLetters} dead letters in ${g.deadLetterTopic}`);
      if (g.conflicts > 0) reasons.push(`target ${target.target}, group ${g.groupId}: ${g.conflicts} conflicts in ${g.conflictTopic}`);
    }
  }
  for (const { url, status: r } of status.reconcilers) {
    if (!r) continue;
    if (r.driftRows > 0) reasons.push(`reconciler ${url}: ${r.driftRows} drifted rows in its last runs`);
    if (r.oldestSuccessAt === null) reasons.push(`reconciler ${url}: no table compared to the end yet`);
  }
  return { state: reasons.length > 0 ? 'degraded' : 'ok', reasons };
}

/** Exit codes of `paysync status`: scripts tell the cases apart. */
export const STATUS_EXIT: Record<VerdictState, number> = { ok: 0, degraded: 1, unreachable: 3 };
