import { CaptureFixture } from '../../support/capture-fixture';
import { removeAppliedTargets, startAppliedTargets, waitTargetsEqual, type AppliedTarget } from '../../support/applied-targets';
import { reconcileOnce } from '../../support/reconcile-once';
import { PAYMENTS_COMPARED, PAYMENTS_DDL, PAYMENTS_TABLES, PaymentsWorkload } from '../../../demo/payments-workload';
import { waitUntil } from '../../support/wait';

jest.setTimeout(900_000);

/**
 * The LSN fence under writes: every run waits for the pipeline to reach the source's position of
 * its reads, so a change in flight is never reported as drift. (Its own file, so it runs beside the
 * 1,000,000-row comparisons of drift.test.ts instead of after them.)
 */
describe('reconciler under a continuous write load', () => {
  let source: CaptureFixture;
  let targets: AppliedTarget[] = [];
  let workload: PaymentsWorkload;

  beforeAll(async () => {
    source = await CaptureFixture.create(PAYMENTS_DDL);
    const capture = await source.startCaptureStreaming(PAYMENTS_TABLES);
    targets = await startAppliedTargets(source, PAYMENTS_TABLES);
    // A first load, applied, so every table exists on both targets before the reconciler compares.
    workload = new PaymentsWorkload(source.db.pool);
    workload.start(1);
    try {
      await waitUntil('20 source transactions', () => workload.transactions >= 20, 60_000);
    } finally {
      await workload.stop();
    }
    await waitTargetsEqual(source, capture, targets, PAYMENTS_COMPARED, (t, table) => (t.kind === 'mysql' ? table.name.split('.')[1] : table.name));
  });

  afterAll(async () => {
    await removeAppliedTargets(targets);
    await source?.cleanup();
  });

  it('reports no drift in ten consecutive runs, for both targets', async () => {
    const before = workload.transactions;
    workload.start(3);
    try {
      for (let run = 0; run < 10; run++) {
        for (const { kind, db, groupId } of targets) {
          const { code, report, output } = await reconcileOnce(source, db, groupId, PAYMENTS_TABLES);
          const found = report.tables.flatMap((t) => [...t.missing, ...t.extra, ...t.different].map((k) => `${t.table} ${JSON.stringify(k)}`));
          expect({ kind, run, found }).toEqual({ kind, run, found: [] });
          expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
        }
      }
    } finally {
      await workload.stop();
    }
    process.stdout.write(`reconciler under load: 10 runs x 2 targets, ${workload.transactions - before} source transactions meanwhile, no drift reported\n`);
  });
});
