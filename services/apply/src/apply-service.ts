import { asUnreachable, type ConfigOf, type Dependency } from '@paysync/config';
import { conflictTopic, deadLetterTopic, parseTableMapping, RegistrySerde, targetNameOf, topicName, transactionTopicName, type TargetName } from '@paysync/contract';
import { checkKafkaAccess, createIdempotentProducer, ensureTopics, kafkaDependency, kafkaFromSettings, missingTopics, type Kafka, type Producer } from '@paysync/kafka';
import { createMetricsRegistry, Outages, startHealthServer, StartupWaits, type HealthServer, type Logger } from '@paysync/observability';
import { SchemaRegistryClient } from '@paysync/registry';
import { ApplyMetrics } from './apply-metrics';
import { RecordDecoder } from './changes/record-decoder';
import { ApplyLoop } from './consume/apply-loop';
import { BatchApplier, type BatchOutcome } from './consume/batch-applier';
import { ChangeWriter } from './consume/change-writer';
import { DeleteMarkerPurge } from './consume/delete-marker-purge';
import { TransactionalApplier } from './consume/transactional-applier';
import { ConflictWriter } from './conflicts/conflict-writer';
import { DeadLetterWriter } from './dead-letter/dead-letter-writer';
import type { applySettings, bidirectionalSettings, deleteMarkerSettings } from './settings';
import { MissingPrivilegeError } from './targets/missing-privileges';
import { openTarget } from './targets/open-target';
import { TableNames } from './targets/table-names';
import type { Target } from './targets/target';

/** Replay's config lacks the delete-marker and bidirectional settings: only apply purges, and replay rebuilds a one-way replica. */
export type ApplyConfig = ConfigOf<typeof applySettings> & Partial<ConfigOf<typeof deleteMarkerSettings>> & Partial<ConfigOf<typeof bidirectionalSettings>>;

export interface ApplyServiceOptions {
  stopBefore?: ConstructorParameters<typeof ApplyLoop>[0]['stopBefore'];
  onBatch?: (topic: string, partition: number, outcome: BatchOutcome, highWatermark: bigint) => void;
  /** Replay does not serve HTTP. */
  http?: boolean;
}

/** One apply process: Kafka topics of the configured tables -> the target, effectively once. */
export class ApplyService {
  readonly metricsRegistry = createMetricsRegistry('apply');
  readonly metrics = new ApplyMetrics(this.metricsRegistry);
  readonly target: Target;
  readonly kafka: Kafka;
  private readonly registry: SchemaRegistryClient;
  readonly topics: string[];
  private producer: Producer | undefined;
  private loop: ApplyLoop | undefined;
  private purge: DeleteMarkerPurge | undefined;
  private http: HealthServer | undefined;
  private running = false;
  private lastError: string | undefined;
  private readonly mapping: Map<string, TargetName>;
  /** Where the configured tables land in the target. */
  readonly targetNames: TargetName[];
  private stopFor!: (err: Error) => void;
  /** Rejects when apply stops itself: a target that refuses apply's writes for lack of privilege, a consumer kafkajs gave up on. */
  readonly failed = new Promise<never>((_, reject) => (this.stopFor = reject));
  /** Kafka, the registry and the target while they do not answer: one line per retry period, /readyz. */
  private readonly outages: Outages;
  private readonly waits: StartupWaits;
  /** What apply talks to, to tell which one an error says does not answer. */
  private readonly dependencies: Dependency[];

  constructor(
    private readonly config: ApplyConfig,
    private readonly logger: Logger,
    private readonly options: ApplyServiceOptions = {},
  ) {
    this.target = openTarget(config.targetUrl, `paysync-apply-${config.groupId}`, {
      purgesDeleteMarkers: (config.deleteMarkerRetentionMs ?? 0) > 0,
      bidirectional: config.bidirectional ? { groupId: config.groupId, policy: config.conflictPolicy ?? 'dead-letter' } : undefined,
      preparedStatements: config.targetPreparedStatements,
    });
    this.outages = new Outages(logger);
    this.kafka = kafkaFromSettings(config, logger.child({ component: 'kafka' }), { onUnreachable: (unreachable, retryInMs) => this.outages.report(unreachable, retryInMs) });
    this.registry = new SchemaRegistryClient(config);
    this.dependencies = [this.target.dependency, this.registry.dependency, kafkaDependency(config)];
    this.waits = new StartupWaits(logger, this.outages, (err) => asUnreachable(err, this.dependencies));
    this.mapping = parseTableMapping(config.tableMapping ?? [], this.target.kind);
    this.targetNames = config.tables.map((t) => targetNameOf(...(t.split('.') as [string, string]), this.target.kind, this.mapping));
    this.failed.catch(() => undefined); // awaited by whoever runs the service; never an unhandled rejection
    // Transactional mode reads the one transaction-ordered topic capture writes with PAYSYNC_TRANSACTION_TOPIC=true.
    this.topics =
      config.mode === 'transactional'
        ? [transactionTopicName(config.topicPrefix)]
        : config.tables.map((t) => {
            const [schema, table] = t.split('.');
            return topicName(config.topicPrefix, schema, table);
          });
    this.metrics.readsTopics(this.topics);
    this.metrics.appliesTables(config.tables);
  }

  get deadLetterTopic(): string {
    return deadLetterTopic(this.config.topicPrefix, this.config.groupId);
  }

  get conflictTopic(): string {
    return conflictTopic(this.config.topicPrefix, this.config.groupId);
  }

  async start(): Promise<void> {
    const { config, logger } = this;
    if (this.options.http !== false) {
      this.http = await startHealthServer({
        host: config.httpHost,
        port: config.httpPort,
        registry: this.metricsRegistry,
        logger,
        readiness: () => {
          const unreachable = this.outages.current;
          const ready = this.running && this.lastError === undefined && unreachable.length === 0;
          return { ready, detail: { running: this.running, retrying: this.lastError ?? this.waits.waitingFor ?? null, unreachable } };
        },
      });
      logger.info({ http: this.http.url }, 'apply health server listening');
    }
    const { waits } = this;
    // Settings the brokers, the registry or the target refuse stop here, each named; those that do not answer are waited for.
    await waits.untilDone('Kafka', () => checkKafkaAccess(config));
    await waits.untilDone('schema registry', () => this.registry.checkAccess());
    await waits.untilDone('target', () => this.target.prepare(this.targetNames));
    // Start-up steps that wait on other systems (capture not started yet, a broker electing leaders) are retried.
    const retry = { otherErrors: 'retry' } as const;
    await waits.untilDone(
      'topics to read',
      async () => {
        const missing = await missingTopics(this.kafka, this.topics);
        if (missing.length > 0) throw new Error(`waiting for topics ${missing.join(', ')} (${whoCreates(config.mode)})`);
      },
      retry,
    );
    await waits.untilDone('dead-letter topic', () => ensureTopics(this.kafka, [{ topic: this.deadLetterTopic, numPartitions: 1 }]), retry);
    if (config.bidirectional) await waits.untilDone('conflicts topic', () => ensureTopics(this.kafka, [{ topic: this.conflictTopic, numPartitions: 1 }]), retry);
    const producer = createIdempotentProducer(this.kafka);
    this.producer = producer;
    await waits.untilDone('Kafka producer', () => producer.connect(), { late: () => producer.disconnect() });
    const names = new TableNames(this.target, this.mapping);
    const conflicts = config.bidirectional ? new ConflictWriter(this.producer, this.conflictTopic, config.conflictPolicy ?? 'dead-letter') : undefined;
    const writer = new ChangeWriter(this.target, new RecordDecoder(new RegistrySerde(this.registry)), names, conflicts);
    const deadLetters = new DeadLetterWriter(this.producer, this.deadLetterTopic);
    const tables = new Set(config.tables);
    const applier =
      config.mode === 'transactional'
        ? new TransactionalApplier(config.groupId, this.target, writer, deadLetters, (change) => tables.has(`${change.table.schema}.${change.table.table}`))
        : new BatchApplier(config.groupId, this.target, writer, deadLetters);
    this.loop = new ApplyLoop({
      kafka: this.kafka,
      groupId: config.groupId,
      topics: this.topics,
      applier,
      logger,
      // Read at every group join, not once: after a rebalance the target holds newer offsets than at start.
      startOffset: async (topic, partition) => (await this.target.storedOffsets(config.groupId)).find((o) => o.topic === topic && o.partition === partition)?.nextOffset,
      partitionsConcurrently: config.mode === 'transactional' ? 1 : config.partitionsConcurrently,
      maxBytesPerPartition: config.fetchMaxBytesPerPartition,
      stopBefore: this.options.stopBefore,
      onBatch: (topic, partition, outcome, high, seconds) => {
        this.lastError = undefined;
        const askedAt = Date.now() - seconds * 1000;
        this.outages.recovered(this.target.dependency, askedAt);
        this.outages.recovered(this.registry.dependency, askedAt);
        this.metrics.batchDone(topic, partition, outcome, high, seconds);
        if (outcome.deadLetters > 0) logger.warn({ topic, partition, deadLetters: outcome.deadLetters, deadLetterTopic: this.deadLetterTopic }, 'records sent to the dead-letter topic');
        if (outcome.conflicts?.length) logger.warn({ topic, partition, conflicts: outcome.conflicts.length, conflictTopic: this.conflictTopic, policy: config.conflictPolicy }, 'conflicts recorded');
        this.options.onBatch?.(topic, partition, outcome, high);
      },
      stopsApply: (err) => this.target.privilegeProblem(err) !== undefined,
      onStopped: (err) => void this.stopOnRefusal(err),
      onRetry: (err, attempt, retryInMs) => {
        this.metrics.retries.inc();
        this.lastError = (err as Error).message;
        const unreachable = asUnreachable(err, this.dependencies);
        if (unreachable) this.outages.report(unreachable, retryInMs, { attempt });
        else logger.error({ err, attempt, retryInMs }, 'batch failed with a transient error; retrying it in place');
      },
      onFetched: (askedAt) => this.outages.recovered(kafkaDependency(config), askedAt),
      onConsumerCrash: (err, restarts) => this.onConsumerCrash(err, restarts),
      brokersAway: () => this.outages.isDown(kafkaDependency(config)),
    });
    await waits.abortable(this.loop.start());
    if (config.deleteMarkerRetentionMs && config.deleteMarkerPurgeIntervalMs) {
      this.purge = new DeleteMarkerPurge({
        target: this.target,
        retentionMs: config.deleteMarkerRetentionMs,
        intervalMs: config.deleteMarkerPurgeIntervalMs,
        logger,
        onPurged: (count) => this.metrics.deleteMarkersPurged.inc(count),
      });
      this.purge.start();
    }
    this.running = true;
    this.lastError = undefined;
    logger.info({ topics: this.topics, groupId: config.groupId, target: this.target.kind, http: this.http?.url }, 'apply running');
  }

  /**
   * The target refused a write for lack of privilege: everything apply lacks (the check names the
   * table and privilege; the error itself when the check finds nothing, e.g. a table's owner).
   */
  private async stopOnRefusal(err: unknown): Promise<void> {
    const own = this.target.privilegeProblem(err);
    const found = await this.target.missingPrivileges(this.targetNames).catch((checkErr: unknown) => {
      this.logger.warn({ err: checkErr }, "could not check the target's privileges; reporting the refusal as the target said it");
      return [];
    });
    this.stopFor(new MissingPrivilegeError(found.length > 0 ? found : own ? [own] : []));
  }

  /**
   * kafkajs gave up on its consumer after its retries: it restarts it (brokers away: said as the
   * brokers' line) or, on an error it cannot retry, leaves it stopped, so apply stops (exit 1) for a
   * restart instead of running on without reading.
   */
  private onConsumerCrash(err: Error, restarts: boolean): void {
    const unreachable = asUnreachable(err, this.dependencies);
    if (restarts && unreachable) return this.outages.report(unreachable, undefined, { consumer: 'restarting' });
    this.logger.error({ err, restarts }, restarts ? 'the Kafka consumer failed; kafkajs restarts it' : 'the Kafka consumer failed and kafkajs does not restart it');
    if (!restarts) this.stopFor(err);
  }

  get applyLoop(): ApplyLoop | undefined {
    return this.loop;
  }

  /** Ends a start still waiting (see StartupWaits), then lets the batches in progress commit or roll back whole and closes everything. */
  async stop(): Promise<void> {
    this.running = false;
    this.waits.abort();
    await this.loop?.stop().catch((err: unknown) => this.logger.warn({ err }, 'consumer did not leave the group cleanly'));
    await this.producer?.disconnect().catch(() => undefined);
    await this.purge?.stop();
    await this.target.close().catch(() => undefined);
    await this.http?.close();
  }
}

/** What a missing topic waits for: in transactional mode, a capture that writes the transaction topic. */
function whoCreates(mode: string): string {
  return mode === 'transactional'
    ? 'capture creates them when it starts; the transaction topic only with PAYSYNC_TRANSACTION_TOPIC=true: set it on capture, or use PAYSYNC_APPLY_MODE=parallel'
    : 'capture creates them when it starts';
}
