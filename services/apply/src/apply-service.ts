import type { ConfigOf } from '@paysync/config';
import { deadLetterTopic, parseTableMapping, RegistrySerde, targetNameOf, topicName, transactionTopicName, type TargetName } from '@paysync/contract';
import { checkKafkaAccess, createIdempotentProducer, ensureTopics, kafkaFromSettings, missingTopics, type Kafka, type Producer } from '@paysync/kafka';
import { createMetricsRegistry, startHealthServer, type HealthServer, type Logger } from '@paysync/observability';
import { SchemaRegistryClient } from '@paysync/registry';
import { ApplyMetrics } from './apply-metrics';
import { RecordDecoder } from './changes/record-decoder';
import { ApplyLoop } from './consume/apply-loop';
import { BatchApplier, type BatchOutcome } from './consume/batch-applier';
import { ChangeWriter } from './consume/change-writer';
import { DeleteMarkerPurge } from './consume/delete-marker-purge';
import { TransactionalApplier } from './consume/transactional-applier';
import { DeadLetterWriter } from './dead-letter/dead-letter-writer';
import type { applySettings, deleteMarkerSettings } from './settings';
import { MissingPrivilegeError } from './targets/missing-privileges';
import { openTarget } from './targets/open-target';
import { TableNames } from './targets/table-names';
import type { Target } from './targets/target';

/** Replay's config lacks the delete-marker settings: only apply purges. */
export type ApplyConfig = ConfigOf<typeof applySettings> & Partial<ConfigOf<typeof deleteMarkerSettings>>;

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
  /** Rejects when apply stops itself: a target that refuses apply's writes for lack of privilege. */
  readonly failed = new Promise<never>((_, reject) => (this.stopFor = reject));

  constructor(
    private readonly config: ApplyConfig,
    private readonly logger: Logger,
    private readonly options: ApplyServiceOptions = {},
  ) {
    this.target = openTarget(config.targetUrl, `paysync-apply-${config.groupId}`, { purgesDeleteMarkers: (config.deleteMarkerRetentionMs ?? 0) > 0 });
    this.kafka = kafkaFromSettings(config, logger.child({ component: 'kafka' }));
    this.registry = new SchemaRegistryClient(config);
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
  }

  get deadLetterTopic(): string {
    return deadLetterTopic(this.config.topicPrefix, this.config.groupId);
  }

  async start(): Promise<void> {
    const { config, logger } = this;
    if (this.options.http !== false) {
      this.http = await startHealthServer({
        host: config.httpHost,
        port: config.httpPort,
        registry: this.metricsRegistry,
        logger,
        readiness: () => ({ ready: this.running && this.lastError === undefined, detail: { running: this.running, retrying: this.lastError ?? null } }),
      });
    }
    // Settings the brokers or the registry refuse stop here, each named (the target's in prepare).
    await checkKafkaAccess(config);
    await this.registry.checkAccess();
    await this.target.prepare(this.targetNames);
    await this.untilDone('topics to read', async () => {
      const missing = await missingTopics(this.kafka, this.topics);
      if (missing.length > 0) throw new Error(`waiting for topics ${missing.join(', ')} (${whoCreates(config.mode)})`);
    });
    await this.untilDone('dead-letter topic', () => ensureTopics(this.kafka, [{ topic: this.deadLetterTopic, numPartitions: 1 }]));
    this.producer = createIdempotentProducer(this.kafka);
    await this.producer.connect();
    const names = new TableNames(this.target, this.mapping);
    const writer = new ChangeWriter(this.target, new RecordDecoder(new RegistrySerde(this.registry)), names);
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
        this.metrics.batchDone(topic, partition, outcome, high, seconds);
        if (outcome.deadLetters > 0) logger.warn({ topic, partition, deadLetters: outcome.deadLetters, deadLetterTopic: this.deadLetterTopic }, 'records sent to the dead-letter topic');
        this.options.onBatch?.(topic, partition, outcome, high);
      },
      stopsApply: (err) => this.target.privilegeProblem(err) !== undefined,
      onStopped: (err) => void this.stopOnRefusal(err),
      onRetry: (err, attempt) => {
        this.metrics.retries.inc();
        this.lastError = (err as Error).message;
        logger.error({ err, attempt }, 'batch failed with a transient error; retrying it in place');
      },
    });
    await this.loop.start();
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

  /** Start-up steps that wait on other systems (capture not started yet, a broker electing leaders) are retried. */
  private async untilDone(what: string, step: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (err) {
        this.lastError = (err as Error).message;
        if (attempt === 1 || attempt % 10 === 0) this.logger.warn({ err, attempt }, `start-up: ${what} not ready, retrying`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 200 * attempt)));
      }
    }
  }

  get applyLoop(): ApplyLoop | undefined {
    return this.loop;
  }

  async stop(): Promise<void> {
    this.running = false;
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
