import { ConfigError, defineCommand, SettingError } from '@paysync/config';
import { createLogger, runUntilSignal } from '@paysync/observability';
import type { RunReport } from './reconcile-run';
import { hasDrift, ReconcileService } from './reconcile-service';
import { reconcilerSettings } from './settings';

/** Exit code of `--once` when drift was found (0: none). */
const DRIFT_EXIT_CODE = 3;

function printText(report: RunReport): string {
  return report.tables
    .map((t) => {
      const found = t.missing.length + t.extra.length + t.different.length;
      const head = `${t.table}: ${t.rows.toLocaleString('en-US')} rows compared in ${t.seconds.toFixed(1)} s (${t.rowsPerSecond.toLocaleString('en-US')} rows/s over both sides): ${found === 0 ? 'no drift' : `${found} drifted`}`;
      const lines = (['missing', 'extra', 'different'] as const).flatMap((kind) => t[kind].map((key) => `  ${kind}: ${JSON.stringify(key)}`));
      const notes = [
        ...(t.unsettled > 0 ? [`  ${t.unsettled} rows not settled (${t.fenceMissed ?? 'still changing'}), checked again next run`] : []),
        ...(t.repaired > 0 ? [`  ${t.repaired} keys re-published from the source for apply to repair`] : []),
        ...(t.repairSkipped ? [`  not repaired: ${t.repairSkipped}`] : []),
      ];
      return [head, ...lines, ...notes].join('\n');
    })
    .join('\n');
}

export const reconcileCommand = defineCommand({
  name: 'reconcile',
  summary: 'Compare source and target by hashed key ranges and report drifted rows.',
  usage: [
    'Without flags it runs on a schedule and serves /healthz /readyz /metrics, GET /report and POST /reconcile[?table=schema.table].',
    '  --once                run once over the tables and exit (0: no drift, 3: drift found)',
    '  --table schema.table  only this table (with --once)',
    '  --json                print the report as JSON: {"tables":[{"table","rows","missing","extra","different"}]}',
  ].join('\n'),
  settings: reconcilerSettings,
  run: async (config, args) => {
    const once = args.includes('--once');
    const json = args.includes('--json');
    const tableIndex = args.indexOf('--table');
    const table = tableIndex >= 0 ? args[tableIndex + 1] : undefined;
    if (table !== undefined && !config.tables.includes(table)) {
      process.stderr.write(`paysync reconcile: --table ${table} is not one of PAYSYNC_TABLES (${config.tables.join(', ')})\n`);
      return 2;
    }
    // With --once the report owns stdout (--json pipes into other tools); warnings go to stderr.
    const logger = createLogger({ service: 'reconciler', level: once ? 'warn' : config.logLevel, ...(once ? { destination: process.stderr } : {}) });
    let service: ReconcileService;
    try {
      service = new ReconcileService(config, logger);
    } catch (err) {
      process.stderr.write(`paysync reconcile: ${(err as Error).message}\n`);
      return 2;
    }
    if (once) {
      try {
        await service.checkAccess();
        const report = await service.runOnce(table ? [table] : config.tables);
        process.stdout.write(`${json ? JSON.stringify(report) : printText(report)}\n`);
        return hasDrift(report) ? DRIFT_EXIT_CODE : 0;
      } catch (err) {
        process.stderr.write(`paysync reconcile: ${(err as Error).message}\n`);
        return err instanceof SettingError || err instanceof ConfigError ? 2 : 1;
      } finally {
        await service.stop();
      }
    }
    return runUntilSignal(logger, { start: () => service.serve(), stop: () => service.stop() }, config.drainTimeoutMs);
  },
});
