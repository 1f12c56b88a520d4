import type { PipelineStatus, Verdict } from './pipeline-verdict';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

function bytes(n: number | null): string {
  if (n === null) return '-';
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

const seconds = (s: number | null) => (s === null ? '-' : `${s.toFixed(1)} s`);

/** Rows as aligned columns under a header. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) => `  ${r.map((cell, i) => cell.padEnd(widths[i])).join('  ')}`.trimEnd());
}

/** The status as a screen an SRE reads at a glance: the verdict first, then each part of the pipeline. */
export function renderStatus(status: PipelineStatus, verdict: Verdict): string {
  const lines = [`paysync status at ${status.at}`, `verdict: ${verdict.state}`, ...verdict.reasons.map((r) => `  - ${r}`), ''];

  const source = status.source.status;
  lines.push(`capture (source ${status.source.url}${source ? `, wal_level ${source.walLevel}` : ''})`);
  if (status.source.error) lines.push(`  unreachable: ${status.source.error}`);
  else if (source && source.slots.length === 0) lines.push('  no logical replication slot');
  else if (source) {
    lines.push(
      ...table(
        ['slot', 'streaming', 'walsender pid', 'confirmed LSN', 'unconfirmed WAL', 'retained WAL', 'WAL status', 'lag'],
        source.slots.map((s) => [s.slot, s.active ? 'yes' : 'no', String(s.activePid ?? '-'), s.confirmedLsn ?? '-', bytes(s.unconfirmedBytes), bytes(s.retainedWalBytes), s.walStatus ?? '-', seconds(s.lagSeconds)]),
      ),
    );
    const open = source.snapshotRequests.filter((r) => r.state === 'pending' || r.state === 'running');
    lines.push(`  snapshot requests: ${open.length} pending or running${source.snapshotRequests.length > open.length ? `, ${source.snapshotRequests.length - open.length} recently finished` : ''}`);
    for (const r of source.snapshotRequests) lines.push(`    ${r.state.padEnd(7)} ${r.table}${r.where ? ` where ${r.where}` : ''}: ${r.rowsSent} rows sent${r.error ? ` (${r.error})` : ''}`);
  }
  lines.push('');

  if (status.targets.length === 0) lines.push('apply: no target given (PAYSYNC_STATUS_TARGET_URLS)');
  else {
    lines.push(`apply${status.kafkaError ? ` (Kafka unreachable: ${status.kafkaError})` : ''}`);
    const rows = status.targets.flatMap((t) =>
      t.error
        ? [[t.target, '-', 'unreachable', '-', '-', '-', t.error]]
        : t.groups.map((g) => [t.target, g.groupId, String(g.behindRecords), g.behindRecords > 0 ? seconds(g.stalledSeconds) : '-', String(g.deadLetters), String(g.conflicts), g.lastAppliedAt ?? '-']),
    );
    lines.push(...table(['target', 'group', 'behind (records)', 'no progress for', 'dead letters', 'conflicts', 'last applied'], rows));
  }
  lines.push('');

  if (status.reconcilers.length === 0) lines.push('reconciler: none given (PAYSYNC_STATUS_RECONCILER_URLS)');
  else {
    lines.push('reconciler');
    lines.push(
      ...table(
        ['service', 'tables', 'drifted rows', 'unsettled rows', 'oldest last success', 'failed runs'],
        status.reconcilers.map(({ url, status: r, error }) => (r ? [url, String(r.tables), String(r.driftRows), String(r.unsettledRows), r.oldestSuccessAt ?? 'never', String(r.failures)] : [url, '-', '-', '-', `unreachable: ${error}`, '-'])),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
