import { ConfigError, defineCommand, SettingError, type ConfigOf } from '@paysync/config';
import { ReplayRun } from '@paysync/apply';
import { offsetsOfTopics } from '@paysync/kafka';
import { createLogger, onShutdownSignal } from '@paysync/observability';
import { hasDrift, ReconcileService, type ReconcileConfig } from '@paysync/reconciler';
import { pushDrillMetrics } from './drill/drill-metrics';
import { drillOutcome, drillReport, type DrillOutcome } from './drill/drill-outcome';
import { drillSettings } from './drill/drill-settings';
import { scratchDatabase, type ScratchDatabase } from './drill/scratch-database';

type DrillConfig = ConfigOf<typeof drillSettings>;

const DRIFT_EXIT_CODE = 3;
/** Reconcile runs at most, while rows stay unsettled (changing on the source through every re-check). */
const RECONCILE_RUNS = 3;

/** The reconciler of the drill: the scratch database against the source, fenced by capture's slot and the drill's own apply; never repairs. */
function reconcileConfig(config: DrillConfig): ReconcileConfig {
  return { ...config, intervalMs: 300_000, adminToken: undefined, webhookUrl: undefined, repair: false };
}

export const drillCommand = defineCommand({
  name: 'drill',
  summary: 'Restore drill: rebuild a replica from the topics into an empty scratch database, reconcile it with the source, report.',
  usage: [
    'Rebuilds PAYSYNC_TABLES from the topics\' earliest records into PAYSYNC_TARGET_URL (empty, or created and dropped with',
    'PAYSYNC_DRILL_CREATE_DATABASE=true) until every partition reached the end it had at the start (the RTO), then reconciles it',
    'with the source (fenced by PAYSYNC_SLOT and the drill\'s own apply, which keeps up meanwhile) and prints the report.',
    '  --json   print the outcome as JSON',
    'Exit: 0 the replica equals the source, 3 drift (rows the topics cannot rebuild), 2 bad settings, 1 another failure.',
  ].join('\n'),
  settings: drillSettings,
  run: async (config, args) => {
    const logger = createLogger({ service: 'drill', level: config.logLevel === 'info' ? 'warn' : config.logLevel, destination: process.stderr });
    let scratch: ScratchDatabase;
    let run: ReplayRun;
    let reconciler: ReconcileService;
    try {
      scratch = scratchDatabase(config.targetUrl, config.createDatabase);
      run = new ReplayRun(config, logger, { kind: 'earliest' }, process.stderr);
      reconciler = new ReconcileService(reconcileConfig(config), logger);
    } catch (err) {
      process.stderr.write(`paysync drill: ${(err as Error).message}\n`);
      return 2;
    }
    const stop = stopper(run, reconciler);
    let outcome: DrillOutcome | undefined;
    let stopping = false;
    let ended!: () => void;
    // The signal's stop lasts until the drill dropped its database and pushed its metrics: the process exits right after it.
    const finished = new Promise<void>((resolve) => (ended = resolve));
    const removeHandlers = onShutdownSignal(
      logger,
      async () => {
        stopping = true;
        await stop();
        await finished;
      },
      config.drainTimeoutMs,
    );
    try {
      await scratch.prepare();
      outcome = await rebuildAndReconcile(config, run, reconciler);
      process.stdout.write(`${args.includes('--json') ? JSON.stringify(outcome) : drillReport(outcome)}\n`);
      return outcome.passed ? 0 : DRIFT_EXIT_CODE;
    } catch (err) {
      process.stderr.write(`paysync drill: ${stopping ? 'stopped by a signal before it finished' : (err as Error).message}\n`);
      return err instanceof SettingError || err instanceof ConfigError ? 2 : 1;
    } finally {
      await stop();
      await scratch.release().catch((err: unknown) => logger.error({ err }, 'could not drop the drill\'s scratch database'));
      if (config.pushgatewayUrl) await pushDrillMetrics(config.pushgatewayUrl, config.topicPrefix, config.overdueSeconds, outcome, logger);
      ended();
      removeHandlers();
    }
  },
});

/**
 * Stops the drill, from a signal and again at its end: the replay's wait ends and apply stops (a
 * second time too, should a signal have come while it was starting); the reconciler stops once.
 */
function stopper(run: ReplayRun, reconciler: ReconcileService): () => Promise<void> {
  let reconcilerStopped: Promise<void> | undefined;
  return async () => {
    run.progress.close();
    await run.service.stop();
    await (reconcilerStopped ??= reconciler.stop());
  };
}

async function rebuildAndReconcile(config: DrillConfig, run: ReplayRun, reconciler: ReconcileService): Promise<DrillOutcome> {
  const { progress } = run;
  await run.catchUp();
  const rebuilt = progress.totals();
  progress.close();
  // Apply keeps running: under writes, the fence of each re-check waits for it to catch up again.
  await reconciler.checkAccess();
  let report = await reconciler.runOnce(config.tables);
  let runs = 1;
  // Rows the source changed through every re-check are compared again in another run, not taken for drift.
  while (runs < RECONCILE_RUNS && !hasDrift(report) && report.tables.some((t) => t.unsettled > 0)) {
    report = await reconciler.runOnce(config.tables);
    runs += 1;
  }
  const behindRecords = await recordsBehind(run, config.groupId);
  return drillOutcome({ rebuildSeconds: rebuilt.seconds, records: rebuilt.records, rowsWritten: rebuilt.rowsWritten, deadLetters: rebuilt.deadLetters, behindRecords, reconcileRuns: runs }, report);
}

/** Records in the topics now that the drill's group has not applied. */
async function recordsBehind(run: ReplayRun, groupId: string): Promise<number> {
  const { service } = run;
  const [stored, ends] = await Promise.all([service.target.storedOffsets(groupId), offsetsOfTopics(service.kafka, service.topics)]);
  let behind = 0n;
  for (const [topic, partitions] of ends) {
    for (const { partition, low, high } of partitions) {
      const next = stored.find((s) => s.topic === topic && s.partition === partition)?.nextOffset ?? low;
      if (high > next) behind += high - next;
    }
  }
  return Number(behind);
}
