import { checkColumnPolicy, ColumnPolicy, readTableShape, RegistrySerde, transactionTopicName, type RereadRequest } from '@paysync/contract';
import type { ConfigOf } from '@paysync/config';
import { checkKafkaAccess, createIdempotentProducer, ensureTopics, kafkaFromSettings, kafkaSecurityDescription, partitionCount, sendAcked, type Kafka, type Producer } from '@paysync/kafka';
import { createMetricsRegistry, startHealthServer, type HealthServer, type Logger } from '@paysync/observability';
import { checkPostgresAccess, createPool, lsnToBigInt, ReplicationStream, type Pool } from '@paysync/postgres';
import { IncompatibleSchemaError, SchemaRegistryClient } from '@paysync/registry';
import { CaptureMetrics } from './capture-metrics';
import type { captureSettings } from './settings';
import { SnapshotProgress } from './snapshot/snapshot-progress';
import { WatermarkSnapshotter } from './snapshot/watermark-snapshotter';
import { WatermarkWindows } from './snapshot/watermark-windows';
import { runPreflightChecks } from './startup/preflight-checks';
import { ensureReplicationSetup, waitForSlotRelease } from './startup/replication-setup';
import { withStartupLock } from './startup/startup-lock';
import { ChangeProcessor, HEARTBEAT_PREFIX } from './stream/change-processor';
import { KafkaSink } from './stream/kafka-sink';
import { LsnAcknowledger } from './stream/lsn-acknowledger';
import { shapeOfRelation } from './stream/relation-shape';
import { TableCodecs } from './stream/table-codecs';
import { splitTableName } from './table-name';

export type CaptureConfig = ConfigOf<typeof captureSettings>;

/**
 * One capture process: checks and prepares the source, streams the slot into Kafka, copies tables
 * that need it with watermark snapshots, heartbeats, and drains cleanly on stop.
 */
export class CaptureService {
  private readonly metricsRegistry = createMetricsRegistry('capture');
  private readonly metrics = new CaptureMetrics(this.metricsRegistry);
  private readonly pool: Pool;
  private readonly kafka: Kafka;
  private readonly registry: SchemaRegistryClient;
  private producer: Producer | undefined;
  private stream: ReplicationStream | undefined;
  private sink: KafkaSink<() => void> | undefined;
  private acknowledger: LsnAcknowledger | undefined;
  private snapshotter: WatermarkSnapshotter | undefined;
  /** Re-read requests, served one after another. */
  private rereads: Promise<void> = Promise.resolve();
  private http: HealthServer | undefined;
  private timers: NodeJS.Timeout[] = [];
  private streaming = false;
  private draining = false;
  private fatal: Error | undefined;
  private finished!: (err?: Error) => void;
  /** Resolves when capture has stopped (drained after stop(), or on a fatal error). */
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
      readiness: () => ({ ready: this.streaming && !this.draining, detail: { streaming: this.streaming, confirmedLsn: this.acknowledger?.safeLsn ?? null } }),
    });
    // Settings the source, the brokers or the registry refuse stop here, each named, before any work.
    await checkPostgresAccess(pool, config.sourceUrl, 'PAYSYNC_SOURCE_URL');
    await checkKafkaAccess(config);
    await this.registry.checkAccess();
    logger.info({ kafka: kafkaSecurityDescription(config) }, 'source, Kafka and schema registry accept the settings');
    await runPreflightChecks(pool, config);
    await checkColumnPolicy(pool, columnPolicy);
    const setup = await withStartupLock(pool, async (db) => {
      const made = await ensureReplicationSetup(db, config);
      await new SnapshotProgress(db, config.slot).ensureTable();
      return made;
    });
    const progress = new SnapshotProgress(pool, config.slot);
    if (setup.slotCreated) await progress.restart(config.tables);
    else if (setup.tablesAdded.length > 0) await progress.restart(setup.tablesAdded);
    if (setup.slotRecreated) logger.warn({ slot: config.slot }, 'the slot was lost after capturing: created it again, every table is snapshotted anew (PAYSYNC_RESNAPSHOT_ON_SLOT_LOSS)');
    logger.info({ slot: config.slot, publication: config.publication, slotCreated: setup.slotCreated, tablesAdded: setup.tablesAdded }, 'source ready');

    this.producer = createIdempotentProducer(this.kafka);
    await this.producer.connect();
    const producer = this.producer;
    const codecs = new TableCodecs({
      serde: new RegistrySerde(this.registry),
      topicPrefix: config.topicPrefix,
      columnPolicy,
      ensureTopic: (topic) => this.ensureTopic(topic),
    });
    this.sink = new KafkaSink<() => void>(
      (batch) => sendAcked(producer, batch),
      (marks) => marks.forEach((mark) => mark()),
      {
        maxInFlightBytes: config.maxInFlightBytes,
        maxBatchBytes: Math.min(1024 * 1024, Math.max(64 * 1024, Math.floor(config.maxInFlightBytes / 4))),
        maxBatchMessages: 2000,
        lingerMs: 5,
        onSendError: (err, attempt) => {
          this.metrics.produceErrors.inc();
          logger.error({ err, attempt }, 'Kafka did not acknowledge a batch; retrying it in place');
        },
      },
    );
    const sink = this.sink;
    await waitForSlotRelease(pool, config.slot, (pid, waitedMs) => logger.warn({ slot: config.slot, activePid: pid, waitedMs }, 'the slot is in use by another connection (a crashed capture\'s walsender, or another capture); waiting for it'));
    this.stream = new ReplicationStream({ connectionString: config.sourceUrl, slot: config.slot, publication: config.publication, applicationName: `paysync-capture-${config.slot}` });
    const stream = this.stream;
    this.acknowledger = new LsnAcknowledger(stream, (lsn) => this.metrics.confirmedLsn.set(Number(lsnToBigInt(lsn))));
    const acknowledger = this.acknowledger;
    const windows = new WatermarkWindows();
    const database = (await pool.query<{ db: string }>('SELECT current_database() AS db')).rows[0].db;
    const transactionTopic = config.transactionTopic ? transactionTopicName(config.topicPrefix) : undefined;
    // One partition: the transaction topic's order is the source's commit order.
    if (transactionTopic) await ensureTopics(this.kafka, [{ topic: transactionTopic, numPartitions: 1 }]);
    const processor = new ChangeProcessor(database, codecs, (relation) => shapeOfRelation(pool, relation), sink, acknowledger, windows, this.metrics, transactionTopic, (request) =>
      this.serveReread(codecs, request),
    );

    let processed = 0n;
    void stream
      .start({
        onMessage: async (lsn, message) => {
          if (this.draining) await new Promise(() => undefined); // stop reading: flow control pauses the socket
          processed = lsnToBigInt(lsn);
          try {
            await processor.onMessage(lsn, message);
          } catch (err) {
            this.fail(err as Error);
            await new Promise(() => undefined);
          }
        },
        onKeepalive: async (serverLsn, replyRequested) => {
          const serverEnd = lsnToBigInt(serverLsn);
          if (processed > 0n) this.metrics.lagBytes.set(Number(serverEnd > processed ? serverEnd - processed : 0n));
          if (replyRequested) await acknowledger.report(true);
        },
        onError: (err) => this.fail(err),
      })
      .then(
        () => this.draining || this.fail(new Error('the replication connection ended')),
        (err: Error) => this.fail(err),
      );
    this.streaming = true;
    acknowledger.start(1000);
    this.timers.push(setInterval(() => this.metrics.unacknowledgedBytes.set(sink.unacknowledgedBytes), 1000));
    this.timers.push(setInterval(() => void this.pollRetainedWal(), 10_000));
    void this.pollRetainedWal();
    if (config.heartbeatMs > 0) this.timers.push(setInterval(() => void this.heartbeat(), config.heartbeatMs));

    this.snapshotter = new WatermarkSnapshotter(
      pool,
      windows,
      progress,
      { emitSnapshotRows: (codec, lsn, rows, absent) => processor.emitSnapshotRows(codec, lsn, rows, absent), acknowledged: () => sink.flush() },
      this.metrics,
      config.snapshotChunkRows,
      (waitedMs) => logger.warn({ waitedMs }, 'snapshot chunk is waiting for older transactions to end; a long-running transaction on the source delays the snapshot'),
    );
    void this.runSnapshots(codecs, progress).catch((err: Error) => this.fail(err));
    logger.info({ http: this.http.url }, 'capture streaming');
  }

  private async runSnapshots(codecs: TableCodecs, progress: SnapshotProgress): Promise<void> {
    const state = await progress.load();
    for (const table of this.config.tables) {
      const saved = state.get(table);
      if (saved?.done) {
        this.metrics.snapshotDone.set({ table }, 1);
        continue;
      }
      const [schema, name] = splitTableName(table);
      const { codec } = await codecs.forShape(await readTableShape(this.pool, schema, name));
      this.logger.info({ table, resumeAfterRows: saved?.rows ?? 0 }, 'snapshot of table starting');
      await this.snapshotter?.snapshotTable(codec, saved);
      if (this.draining) return;
      this.logger.info({ table }, 'snapshot of table done');
    }
  }

  /**
   * The reconciler's repair: the keys are re-read in watermark windows (DESIGN.md 3.3), one request
   * after another, beside the stream (which must go on: the windows close in it).
   */
  private serveReread(codecs: TableCodecs, request: RereadRequest | Error): void {
    if (request instanceof Error) {
      this.logger.warn({ err: request }, 'ignored a re-read request');
      return;
    }
    if (!this.config.tables.includes(request.table)) {
      this.logger.warn({ table: request.table }, 'ignored a re-read request for a table not in PAYSYNC_TABLES');
      return;
    }
    this.rereads = this.rereads
      .then(async () => {
        const [schema, name] = splitTableName(request.table);
        const { codec } = await codecs.forShape(await readTableShape(this.pool, schema, name));
        await this.snapshotter?.rereadKeys(codec, request.keys);
        this.logger.info({ table: request.table, keys: request.keys.length }, 're-read keys for the reconciler');
      })
      .catch((err: Error) => this.fail(err));
  }

  private async ensureTopic(topic: string): Promise<number> {
    await ensureTopics(this.kafka, [{ topic, numPartitions: this.config.topicPartitions }]);
    return partitionCount(this.kafka, topic);
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.pool.query('SELECT pg_logical_emit_message(false, $1, $2)', [HEARTBEAT_PREFIX, String(Date.now())]);
    } catch (err) {
      this.logger.warn({ err }, 'heartbeat failed');
    }
  }

  private async pollRetainedWal(): Promise<void> {
    try {
      const { rows } = await this.pool.query<{ retained: string | null }>(
        'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) AS retained FROM pg_replication_slots WHERE slot_name = $1',
        [this.config.slot],
      );
      if (rows[0]?.retained != null) this.metrics.retainedWalBytes.set(Number(rows[0].retained));
    } catch (err) {
      this.logger.warn({ err }, 'could not read the slot\'s retained WAL');
    }
  }

  private fail(err: Error): void {
    if (this.fatal || this.draining) return;
    this.fatal = err;
    this.streaming = false;
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

  /** Graceful stop: stop reading, let Kafka acknowledge what was sent, confirm it, close. */
  async stop(): Promise<void> {
    this.draining = true;
    this.snapshotter?.stop();
    this.timers.forEach(clearInterval);
    if (this.sink && !this.fatal) {
      await this.sink.flush();
      await this.acknowledger?.report(true);
    }
    this.sink?.abort();
    this.acknowledger?.stop();
    await this.stream?.stop().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
    await this.http?.close();
    this.finished();
  }
}
