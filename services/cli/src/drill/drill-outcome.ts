import type { RunReport } from '@paysync/reconciler';

/** What one drill found: how long the rebuild took and whether the rebuilt replica equals the source. */
export interface DrillOutcome {
  /** Seconds from the start of the rebuild until every partition reached the end fixed at its start: the RTO. */
  rebuildSeconds: number;
  /** Records read from the topics (Kafka's transaction markers counted). */
  records: number;
  rowsWritten: number;
  rowsPerSecond: number;
  /** Records written to the topics meanwhile that the rebuilt replica had not applied when the drill ended. */
  behindRecords: number;
  deadLetters: number;
  /** Reconcile runs made: another one follows while rows stay unsettled, up to three. */
  reconcileRuns: number;
  /** The last run's report. */
  reconcile: RunReport;
  /** Keys that differ (missing, extra, different) summed over the tables. */
  driftedRows: number;
  /**
   * Rows the source kept changing through every re-check of the last run: not compared. They are
   * no sign of incomplete topics: each change of such a row carries the whole row, so the rebuilt
   * replica has it, and a row the topics lack stays still and shows as drift.
   */
  unsettledRows: number;
  passed: boolean;
}

export function drillOutcome(rebuild: Omit<DrillOutcome, 'reconcile' | 'driftedRows' | 'unsettledRows' | 'passed' | 'rowsPerSecond'>, reconcile: RunReport): DrillOutcome {
  const driftedRows = reconcile.tables.reduce((n, t) => n + t.missing.length + t.extra.length + t.different.length, 0);
  const unsettledRows = reconcile.tables.reduce((n, t) => n + t.unsettled, 0);
  return {
    ...rebuild,
    rowsPerSecond: Math.round(rebuild.rowsWritten / Math.max(rebuild.rebuildSeconds, 0.001)),
    reconcile,
    driftedRows,
    unsettledRows,
    passed: driftedRows === 0,
  };
}

const count = (n: number) => n.toLocaleString('en-US');

/** The report a person reads (--json prints the outcome itself). */
export function drillReport(outcome: DrillOutcome): string {
  const lines = [
    `rebuilt from the topics in ${outcome.rebuildSeconds.toFixed(1)} s (RTO): ${count(outcome.records)} records read, ${count(outcome.rowsWritten)} rows written (${count(outcome.rowsPerSecond)} rows/s), ${count(outcome.deadLetters)} dead letters`,
    `lag at the end: ${count(outcome.behindRecords)} records behind the topics' end`,
  ];
  for (const t of outcome.reconcile.tables) {
    const found = t.missing.length + t.extra.length + t.different.length;
    lines.push(`${t.table}: ${count(t.rows)} rows compared: ${found === 0 ? 'no drift' : `${found} drifted`}${t.unsettled > 0 ? `, ${t.unsettled} not settled (${t.fenceMissed ?? 'still changing'})` : ''}`);
    for (const kind of ['missing', 'extra', 'different'] as const) for (const key of t[kind]) lines.push(`  ${kind}: ${JSON.stringify(key)}`);
  }
  const unsettled = outcome.unsettledRows > 0 ? ` (${count(outcome.unsettledRows)} rows kept changing on the source through every re-check of ${outcome.reconcileRuns} runs and were not compared)` : '';
  lines.push(
    outcome.passed
      ? `drill passed: the replica rebuilt from the topics equals the source${unsettled}`
      : `drill FAILED: ${count(outcome.driftedRows)} rows differ from the source (missing: the topics lack them)`,
  );
  return lines.join('\n');
}
