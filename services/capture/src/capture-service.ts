import { checkColumnPolicy, ColumnPolicy } from '@paysync/contract';
import { asUnreachable, type ConfigOf } from '@paysync/config';
import { checkKafkaAccess, kafkaFromSettings, kafkaSecurityDescription, type Kafka } from '@paysync/kafka';
import { createMetricsRegistry, Outages, retryingIn, startHealthServer, StartupWaits, type HealthServer, type Logger } from '@paysync/observability';
import { checkPostgresAccess, createPool, type Pool } from '@paysync/postgres';
import { IncompatibleSchemaError, SchemaRegistryClient } from '@paysync/registry';
import { CaptureMetrics } from './capture-metrics';
import { captureDependencies, RecoveryBackoff, recoveryReason, stopsCapture, type CaptureDependencies } from './replica/recovery';
import { slotLeaseHolder } from './replica/slot-lease';
import type { captureSettings } from './settings';
import { runPreflightChecks } from './startup/preflight-checks';
import { StreamingTerm } from './streaming-term';

export type CaptureConfig = ConfigOf<typeof captureSettings>;

/** How often a standby looks whether the slot's lease is free. */
const STANDBY_POLL_MS = 250;

/**
 * One capture replica: checks the settings against the source, Kafka and the registry, then
 * streams whenever it holds the slot's lease (replica/slot-lease.ts) and waits as a standby while
 * another replica does. A term that ends on an error a restart cannot fix stops capture; any
 * other (the source restarting, a dropped connection, Kafka or the registry away) is recovered
 * from in place: the term is dropped and a new one starts from the slot's confirmed position.
 */
export class CaptureService {
  private readonly metricsRegistry = createMetricsRegistry('capture');
  private readonly metrics = new CaptureMetrics(this.metricsRegistry, () => this.term?.streaming ?? false);
  private readonly pool: Pool;
  private readonly kafka: Kafka;
  private readonly registry: SchemaRegistryClient;
  private http: HealthServer | undefined;
  private term: StreamingTerm | undefined;
  private supervising: Promise<void> = Promise.resolve();
  private draining = false;
  private fatal: Error | undefined;
  private stopFor!: (err: Error) => void;
  private wake: (() => void) | undefined;
  /** Rejects when capture stops itself, on an error a restart cannot fix. */
  readonly failed = new Promise<never>((_, reject) => (this.stopFor = reject));
  private readonly dependencies: CaptureDependencies;
  private readonly outages: Outages;
  private readonly waits: StartupWaits;

  constructor(
    private readonly config: CaptureConfig,
    private readonly logger: Logger,
  ) {
    this.pool = createPool(config.sourceUrl, { applicationName: `paysync-capture-${config.slot}`, max: 4 });
    this.kafka = kafkaFromSettings(config, logger.child({ component: 'kafka' }));
    this.registry = new SchemaRegistryClient(config);
    this.dependencies = captureDependencies(config.sourceUrl, config.kafkaBrokers, config.schemaRegistryUrl);
    this.outages = new Outages(logger);
    this.waits = new StartupWaits(logger, this.outages, (err) => asUnreachable(err, Object.values(this.dependencies)));
    this.failed.catch(() => undefined); // awaited by whoever runs the service; never an unhandled rejection
  }

  async start(): Promise<void> {
    const { config, logger, pool } = this;
    const columnPolicy = ColumnPolicy.fromSettings(config);
    this.http = await startHealthServer({
      host: config.httpHost,
      port: config.httpPort,
      registry: this.metricsRegistry,
      logger,
      // Stopped on an incompatible schema it is still alive (a restart would only fail again): not ready.
      alive: () => this.fatal === undefined || this.fatal instanceof IncompatibleSchemaError,
      readiness: () => {
        const streaming = this.term?.streaming ?? false;
        return { ready: streaming && !this.draining, detail: { streaming, confirmedLsn: this.term?.confirmedLsn ?? null, unreachable: this.outages.current } };
      },
    });
    logger.info({ http: this.http.url }, 'capture health server listening');
    const { waits } = this;
    // Settings the source, the brokers or the registry refuse stop here, each named, before any work; those that do not answer are waited for.
    await waits.untilDone('source', () => checkPostgresAccess(pool, config.sourceUrl, 'PAYSYNC_SOURCE_URL'));
    await waits.untilDone('Kafka', () => checkKafkaAccess(config));
    await waits.untilDone('schema registry', () => this.registry.checkAccess());
    logger.info({ kafka: kafkaSecurityDescription(config) }, 'source, Kafka and schema registry accept the settings');
    await waits.abortable(runPreflightChecks(pool, config));
    await waits.abortable(checkColumnPolicy(pool, columnPolicy));
    const context = { config, logger, pool, kafka: this.kafka, registry: this.registry, metrics: this.metrics, columnPolicy, httpUrl: this.http.url };
    this.supervising = this.supervise(() => new StreamingTerm(context));
  }

  private async supervise(newTerm: () => StreamingTerm): Promise<void> {
    const backoff = new RecoveryBackoff();
    let standbyLogged = false;
    while (!this.draining) {
      const term = newTerm();
      this.term = term;
      try {
        const end = await term.run();
        if (end === 'drained') return;
        if (!standbyLogged) this.logger.info({ slot: this.config.slot }, 'capture standby: another replica streams the slot');
        standbyLogged = true;
        await this.waitForFreeLease();
        continue;
      } catch (err) {
        if (this.draining) return;
        if (err instanceof IncompatibleSchemaError || stopsCapture(err)) return this.fail(err as Error);
        standbyLogged = false;
        // Another replica holds the lease: it took over (this one was cut off or paused), so no backoff.
        const holder = await slotLeaseHolder(this.pool, this.config.slot).catch(() => undefined);
        if (holder !== undefined) {
          if (term.streamingSinceMs > 0) this.logger.warn({ err, slot: this.config.slot }, 'capture stepped down: another replica took over');
          continue;
        }
        const reason = recoveryReason(err, this.dependencies);
        const retryInMs = backoff.next(term.streamingSinceMs > 0 ? performance.now() - term.streamingSinceMs : 0);
        this.metrics.recoveries.inc({ reason });
        // A system that does not answer is named with its address and setting, as at start-up.
        const unreachable = asUnreachable(err, Object.values(this.dependencies));
        this.logger.error({ err, reason, retryInMs, ...(unreachable && { unreachable: `${unreachable.message}; ${retryingIn(retryInMs)}` }) }, 'capture recovering in place');
        await this.pause(retryInMs);
      }
    }
  }

  /** A standby's wait: until no replication connection holds the slot's lease (or capture stops). */
  private async waitForFreeLease(): Promise<void> {
    while (!this.draining) {
      const holder = await slotLeaseHolder(this.pool, this.config.slot).catch(() => undefined);
      if (holder === undefined) return;
      await this.pause(STANDBY_POLL_MS);
    }
  }

  /** Sleeps, cut short by stop(). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private fail(err: Error): void {
    if (this.fatal || this.draining) return;
    this.fatal = err;
    if (err instanceof IncompatibleSchemaError) {
      // Stay up, not ready, with the metric set, until an operator acts; nothing after it is confirmed.
      this.metrics.schemaIncompatible.set({ table: err.subject.replace(/-(key|value)$/, '') }, 1);
      this.logger.fatal(
        { err },
        'capture stopped: incompatible schema change. Make the change compatible (new columns nullable, no type changes) or move the table to a new topic, then restart capture.',
      );
      return;
    }
    this.logger.fatal({ err }, 'capture stopped');
    this.stopFor(err);
  }

  /** Graceful stop: a start still waiting ends (StartupWaits), the streaming term stops reading, lets Kafka acknowledge what was sent, confirms it. */
  async stop(): Promise<void> {
    this.draining = true;
    this.waits.abort();
    this.wake?.();
    await this.term?.drain();
    await this.supervising.catch(() => undefined);
    await this.pool.end().catch(() => undefined);
    await this.http?.close();
  }
}
