import type { RunReport, TableReport } from '@paysync/reconciler';
import { drillOutcome, drillReport } from './drill-outcome';

const table = (name: string, found: Partial<TableReport> = {}): TableReport => ({ table: name, rows: 1000, missing: [], extra: [], different: [], unsettled: 0, repaired: 0, seconds: 1, rowsPerSecond: 2000, ...found });
const report = (...tables: TableReport[]): RunReport => ({ startedAt: '', finishedAt: '', rowHash: 'hash64', tables });
const rebuild = { rebuildSeconds: 2, records: 2100, rowsWritten: 2000, deadLetters: 0, behindRecords: 0, reconcileRuns: 1 };

describe('drill outcome', () => {
  it('passes when no table drifted and nothing is unsettled, with the rebuild rate', () => {
    const outcome = drillOutcome(rebuild, report(table('public.accounts'), table('public.ledger')));
    expect([outcome.passed, outcome.rowsPerSecond, outcome.driftedRows]).toEqual([true, 1000, 0]);
    expect(drillReport(outcome)).toBe(
      [
        'rebuilt from the topics in 2.0 s (RTO): 2,100 records read, 2,000 rows written (1,000 rows/s), 0 dead letters',
        "lag at the end: 0 records behind the topics' end",
        'public.accounts: 1,000 rows compared: no drift',
        'public.ledger: 1,000 rows compared: no drift',
        'drill passed: the replica rebuilt from the topics equals the source',
      ].join('\n'),
    );
  });

  it('fails naming every drifted key; rows still changing after the last run pass, reported', () => {
    const drifted = drillOutcome(rebuild, report(table('public.accounts', { missing: [{ id: 1 }, { id: 2 }], different: [{ id: 7 }] })));
    expect([drifted.passed, drifted.driftedRows]).toEqual([false, 3]);
    expect(drillReport(drifted)).toContain('public.accounts: 1,000 rows compared: 3 drifted\n  missing: {"id":1}\n  missing: {"id":2}\n  different: {"id":7}\n');
    expect(drillReport(drifted)).toMatch(/drill FAILED: 3 rows differ from the source \(missing: the topics lack them\)$/);
    const unsettled = drillOutcome({ ...rebuild, reconcileRuns: 3 }, report(table('public.accounts', { unsettled: 4, fenceMissed: 'apply did not catch up' })));
    expect([unsettled.passed, unsettled.unsettledRows]).toEqual([true, 4]);
    expect(drillReport(unsettled)).toMatch(/4 not settled \(apply did not catch up\)\ndrill passed: .* \(4 rows kept changing on the source through every re-check of 3 runs and were not compared\)$/);
  });
});
