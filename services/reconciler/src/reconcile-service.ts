import { asUnreachable, type ConfigOf, type Dependency } from '@paysync/config';
import { checkColumnPolicy, ColumnPolicy, parseTableMapping, targetKindOf } from '@paysync/contract';
import { checkKafkaAccess, kafkaDependency, kafkaFromSettings, type Kafka, type KafkaConnectionSettings } from '@paysync/kafka';
import { DriftRepair } from './repair/drift-repair';
import { adminGuard, createMetricsRegistry, Outages, retryDelayMs, startHealthServer, StartupWaits, type HealthServer, type Logger } from '@paysync/observability';
import type { Pool } from '@paysync/postgres';
import { PipelineFence } from './compare/pipeline-fence';
import { ReconcileMetrics } from './reconcile-metrics';
import { openSourcePool, ReconcileRun, targetNames, type RunReport } from './reconcile-run';
import type { reconcilerSettings } from './settings';
import { openSide } from './sides/open-side';
import type { RowHash } from './sides/row-hash';
import { agreeOnRowHash } from './sides/row-hash-agreement';
import type { SqlSide } from './sides/sql-side';

export type ReconcileConfig = ConfigOf<typeof reconcilerSettings>;

const KEPT_REPORTS = 20;

export function hasDrift(report: RunReport): boolean {
  return report.tables.some((t) => t.missing.length + t.extra.length + t.different.length > 0);
}

/**
 * The reconciler: runs over the configured tables on a schedule and on demand (POST /reconcile),
 * keeps recent reports (GET /report), exports metrics and calls the webhook when drift is found.
 */
export class ReconcileService {
  readonly metricsRegistry = createMetricsRegistry('reconciler');
  readonly metrics = new ReconcileMetrics(this.metricsRegistry);
  private readonly sourcePool: Pool;
  private readonly source: SqlSide;
  private readonly target: SqlSide;
  /** Kafka, read only for the apply half of the fence (PAYSYNC_GROUP_ID). */
  private readonly fenceKafka: { client: Kafka; settings: KafkaConnectionSettings } | undefined;
  private readonly runner: ReconcileRun;
  private readonly reports: RunReport[] = [];
  /** How both sides hash rows: md5 until they agreed on another at checkAccess (row-hash-agreement.ts). */
  private rowHash: RowHash = 'md5';
  private http: HealthServer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RunReport> | undefined;
  private stopped = false;
  /** Start-up is done: both sides (and Kafka for the fence) answered. */
  private serving = false;
  private readonly repair: DriftRepair | undefined;
  private readonly columnPolicy: ColumnPolicy;
  /** The sides and Kafka, to name the one a failed run could not reach. */
  private readonly dependencies: Dependency[];
  private readonly outages: Outages;
  private readonly waits: StartupWaits;
  /** Runs in a row that failed on a system that does not answer: they are retried sooner than the interval. */
  private unreachableRuns = 0;

  constructor(
    private readonly config: ReconcileConfig,
    private readonly logger: Logger,
  ) {
    this.columnPolicy = ColumnPolicy.fromSettings(config);
    const kind = targetKindOf(config.targetUrl);
    const names = targetNames(kind, parseTableMapping(config.tableMapping ?? [], kind));
    this.sourcePool = openSourcePool(config.sourceUrl);
    const parallelWorkers = config.parallelWorkers;
    this.source = openSide(config.sourceUrl, 'source', names, { hmacPads: this.columnPolicy.hmacPads(), parallelWorkers });
    const target = openSide(config.targetUrl, 'target', names, { parallelWorkers });
    this.target = target;
    if (config.groupId && !config.kafkaBrokers) throw new Error('PAYSYNC_GROUP_ID needs PAYSYNC_KAFKA_BROKERS: the reconciler compares the group\'s offsets stored in the target with the topics\' end offsets');
    if (!config.groupId) logger.warn('PAYSYNC_GROUP_ID is not set: re-checks cannot wait for apply, so a change still on its way to the target can be reported as drift under load');
    const kafkaSettings = config.groupId && config.kafkaBrokers ? { ...config, kafkaBrokers: config.kafkaBrokers } : undefined;
    this.fenceKafka = kafkaSettings && { client: kafkaFromSettings(kafkaSettings, logger.child({ component: 'kafka' })), settings: kafkaSettings };
    this.dependencies = [this.source.runner.dependency, target.runner.dependency, ...(kafkaSettings ? [kafkaDependency(kafkaSettings)] : [])];
    this.outages = new Outages(logger);
    this.waits = new StartupWaits(logger, this.outages, (err) => asUnreachable(err, this.dependencies));
    const kafka = this.fenceKafka?.client;
    const fence = new PipelineFence(this.sourcePool, {
      slot: config.slot,
      apply: kafka && config.groupId ? { kafka, groupId: config.groupId, topicPrefix: config.topicPrefix, target: target.runner } : undefined,
      timeoutMs: config.fenceTimeoutMs,
    });
    if (config.repair) this.repair = new DriftRepair(this.sourcePool);
    this.runner = new ReconcileRun(this.sourcePool, this.source, this.target, {
      repair: this.repair,
      leafRows: config.leafRows,
      splitFactor: config.splitFactor,
      maxRowsPerSecond: config.maxRowsPerSecond,
      recheckDelaysMs: config.recheckDelaysMs.map(Number),
      fence,
      columnPolicy: this.columnPolicy,
    });
  }

  /**
   * Connects once to each side (and to Kafka for the apply fence), so a URL or credentials they
   * refuse stop the command with a SettingError naming the setting, before any run.
   */
  async checkAccess(): Promise<void> {
    await this.source.runner.checkAccess();
    await this.target.runner.checkAccess();
    if (this.fenceKafka) await checkKafkaAccess(this.fenceKafka.settings);
    const { method, why } = await agreeOnRowHash(this.source.runner, this.target.runner);
    this.rowHash = method;
    this.logger.info({ rowHash: method }, `rows are hashed with ${method}: ${why}`);
  }

  /** One run; concurrent requests share the run in progress. */
  runOnce(tables: string[] = this.config.tables): Promise<RunReport> {
    this.running ??= this.runAndKeep(tables).finally(() => (this.running = undefined));
    return this.running;
  }

  private async runAndKeep(tables: string[]): Promise<RunReport> {
    const report = await this.runner.run(tables, this.rowHash, (table) => {
      this.metrics.tableDone(table);
      if (table.repairSkipped) this.logger.warn({ table: table.table, reason: table.repairSkipped }, 'drift not repaired');
      if (table.fenceMissed) this.logger.warn({ table: table.table, unsettled: table.unsettled, reason: table.fenceMissed }, 'differences left unsettled: the pipeline did not catch up before a re-check');
    });
    this.reports.unshift(report);
    this.reports.length = Math.min(this.reports.length, KEPT_REPORTS);
    if (hasDrift(report)) await this.notify(report);
    return report;
  }

  async serve(): Promise<void> {
    const { config, logger } = this;
    const preHandler = adminGuard(config.adminToken, 'PAYSYNC_ADMIN_TOKEN');
    this.http = await startHealthServer({
      host: config.httpHost,
      port: config.httpPort,
      registry: this.metricsRegistry,
      logger,
      readiness: () => {
        const unreachable = this.outages.current;
        return { ready: this.serving && !this.stopped && unreachable.length === 0, detail: { lastRun: this.reports[0]?.finishedAt ?? null, unreachable } };
      },
      routes: (app) => {
        app.get('/report', { preHandler }, async () => ({ reports: this.reports }));
        app.post<{ Querystring: { table?: string } }>('/reconcile', { preHandler }, async (request, reply) => {
          const table = request.query.table;
          if (table !== undefined && !config.tables.includes(table)) return reply.code(400).send({ error: `table ${table} is not in PAYSYNC_TABLES` });
          return this.runOnce(table ? [table] : config.tables);
        });
      },
    });
    logger.info({ http: this.http.url }, 'reconciler health server listening');
    // Settings the sides or Kafka refuse stop here, each named; those that do not answer are waited for.
    await this.waits.untilDone('databases', () => this.checkAccess());
    await this.waits.abortable(checkColumnPolicy(this.sourcePool, this.columnPolicy));
    if (!config.adminToken) logger.warn('PAYSYNC_ADMIN_TOKEN is not set: GET /report and POST /reconcile answer 403');
    logger.info({ tables: config.tables, http: this.http.url, intervalMs: config.intervalMs }, 'reconciler running');
    this.serving = true;
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const startedAt = Date.now();
      this.runOnce()
        .then((report) => {
          this.unreachableRuns = 0;
          this.dependencies.forEach((dependency) => this.outages.recovered(dependency, startedAt));
          this.logger.info({ drift: hasDrift(report), tables: report.tables.map((t) => ({ table: t.table, rows: t.rows, missing: t.missing.length, extra: t.extra.length, different: t.different.length, rowsPerSecond: t.rowsPerSecond })) }, 'reconcile run done');
          return this.config.intervalMs;
        })
        .catch((err: unknown) => {
          for (const table of this.config.tables) this.metrics.failures.inc({ table });
          const unreachable = asUnreachable(err, this.dependencies);
          if (!unreachable) {
            this.logger.error({ err }, 'reconcile run failed; trying again at the next interval');
            return this.config.intervalMs;
          }
          // Not ready, and tried again soon: a side back after a minute need not wait out the interval.
          const retryInMs = Math.min(this.config.intervalMs, retryDelayMs(++this.unreachableRuns));
          this.outages.report(unreachable, retryInMs);
          return retryInMs;
        })
        .then((nextInMs) => this.schedule(nextInMs));
    }, delayMs);
  }

  private async notify(report: RunReport): Promise<void> {
    if (!this.config.webhookUrl) return;
    try {
      const response = await fetch(this.config.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report) });
      if (!response.ok) this.logger.warn({ status: response.status }, 'drift webhook answered with an error');
    } catch (err) {
      this.logger.warn({ err }, 'drift webhook could not be called');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.waits.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    await this.http?.close();
    await Promise.all([this.source.close(), this.target.close(), this.sourcePool.end()]);
  }
}
