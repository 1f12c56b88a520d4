import { checkColumnPolicy, ColumnPolicy } from '@paysync/contract';
import type { ConfigOf } from '@paysync/config';
import { checkKafkaAccess, kafkaFromSettings, kafkaSecurityDescription, type Kafka } from '@paysync/kafka';
import { createMetricsRegistry, startHealthServer, type HealthServer, type Logger } from '@paysync/observability';
import { checkPostgresAccess, createPool, type Pool } from '@paysync/postgres';
import { IncompatibleSchemaError, SchemaRegistryClient } from '@paysync/registry';
import { CaptureMetrics } from './capture-metrics';
import { RecoveryBackoff, recoveryReason, stopsCapture, systemPorts } from './replica/recovery';
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
  private finished!: (err?: Error) => void;
  private wake: (() => void) | undefined;
  /** Resolves when capture has stopped (drained after stop(), or on an error a restart cannot fix). */
  readonly done: Promise<void>;

  constructor(
    private readonly config: CaptureConfig,
    private readonly logger: Logger,
  ) {
    this.pool = createPool(config.sourceUrl, { applicationName: `paysync-capture-${config.slot}`, max: 4 });
    this.kafka = kafkaFromSettings(config, logger.child({ component: 'kafka' }));
    this.registry = new SchemaRegistryClient(config);
    this.done = new Promise<void>((resolve, reject) => (this.finished = (err) => (err ? reject(err) : resolve())));
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
        return { ready: streaming && !this.draining, detail: { streaming, confirmedLsn: this.term?.confirmedLsn ?? null } };
      },
    });
    logger.info({ http: this.http.url }, 'capture health server listening');
    // Settings the source, the brokers or the registry refuse stop here, each named, before any work.
    await checkPostgresAccess(pool, config.sourceUrl, 'PAYSYNC_SOURCE_URL');
    await checkKafkaAccess(config);
    await this.registry.checkAccess();
    logger.info({ kafka: kafkaSecurityDescription(config) }, 'source, Kafka and schema registry accept the settings');
    await runPreflightChecks(pool, config);
    await checkColumnPolicy(pool, columnPolicy);
    const context = { config, logger, pool, kafka: this.kafka, registry: this.registry, metrics: this.metrics, columnPolicy, httpUrl: this.http.url };
    this.supervising = this.supervise(() => new StreamingTerm(context));
  }

  private async supervise(newTerm: () => StreamingTerm): Promise<void> {
    const backoff = new RecoveryBackoff();
    const ports = systemPorts(this.config.sourceUrl, this.config.kafkaBrokers, this.config.schemaRegistryUrl);
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
        const reason = recoveryReason(err, ports);
        const retryInMs = backoff.next(term.streamingSinceMs > 0 ? performance.now() - term.streamingSinceMs : 0);
        this.metrics.recoveries.inc({ reason });
        this.logger.error({ err, reason, retryInMs }, 'capture recovering in place');
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
    this.finished(err);
  }

  /** Graceful stop: the streaming term stops reading, lets Kafka acknowledge what was sent, confirms it. */
  async stop(): Promise<void> {
    this.draining = true;
    this.wake?.();
    await this.term?.drain();
    await this.supervising.catch(() => undefined);
    await this.pool.end().catch(() => undefined);
    await this.http?.close();
    this.finished();
  }
}
