import { readTableShape, RegistrySerde, transactionTopicName, type ColumnPolicy } from '@paysync/contract';
import { connectFencedProducer, ensureTopics, isFencedError, partitionCount, ProducerUnusable, sendInTransaction, topicConfig, type Kafka, type Producer } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';
import { lsnToBigInt, ReplicationStream, type Pool } from '@paysync/postgres';
import type { SchemaRegistryClient } from '@paysync/registry';
import type { CaptureMetrics } from './capture-metrics';
import type { CaptureConfig } from './capture-service';
import { LeaseWatch } from './replica/lease-watch';
import { claimSlotLease, walSenderTimeoutMs } from './replica/slot-lease';
import { KeyRereads } from './snapshot/key-rereads';
import { OnDemandSnapshots } from './snapshot/on-demand-snapshots';
import { SnapshotProgress } from './snapshot/snapshot-progress';
import { SnapshotRequests } from './snapshot/snapshot-requests';
import { WatermarkSnapshotter } from './snapshot/watermark-snapshotter';
import { WatermarkWindows } from './snapshot/watermark-windows';
import { prepareSource } from './startup/prepare-source';
import { waitForSlotRelease } from './startup/replication-setup';
import { ChangeProcessor } from './stream/change-processor';
import { KafkaSink } from './stream/kafka-sink';
import { LsnAcknowledger } from './stream/lsn-acknowledger';
import { shapeOfRelation } from './stream/relation-shape';
import { historyLoss, tableTopicConfig } from './stream/table-topic-policy';
import { emitHeartbeat, measureRetainedWal } from './stream/slot-upkeep';
import { TableCodecs, type TableCodec } from './stream/table-codecs';
import { splitTableName } from './table-name';

export interface TermContext {
  config: CaptureConfig;
  logger: Logger;
  pool: Pool;
  kafka: Kafka;
  registry: SchemaRegistryClient;
  metrics: CaptureMetrics;
  columnPolicy: ColumnPolicy;
  /** The health server's address, in the log line saying this replica streams. */
  httpUrl: string;
}

/** How a term that did not fail ended. */
export type TermEnd = 'standby' | 'drained';

/** The lease answers a replica keeps for at most this long, or half the source's wal_sender_timeout if lower. */
const LEASE_FRESH_MS = 3000;

/**
 * One stretch of streaming by this replica: from claiming the slot's lease, through the source's
 * set-up, a producer that fences every older one, the stream, snapshots and re-reads, to the end:
 * a graceful drain, or the first error, after which everything of the term is dropped (nothing it
 * held is trusted) and capture starts a new term from the slot's confirmed position.
 */
export class StreamingTerm {
  private stream: ReplicationStream | undefined;
  private lease: LeaseWatch | undefined;
  private producer: Producer | undefined;
  private sink: KafkaSink<() => void> | undefined;
  private acknowledger: LsnAcknowledger | undefined;
  private snapshotter: WatermarkSnapshotter | undefined;
  private onDemand: OnDemandSnapshots | undefined;
  private timers: NodeJS.Timeout[] = [];
  private started = false;
  private draining = false;
  private ended = false;
  private finish!: (end: TermEnd | Error) => void;
  private readonly outcome = new Promise<TermEnd | Error>((resolve) => (this.finish = resolve));
  /** When the stream began, on the monotonic clock (0 until it did). */
  streamingSinceMs = 0;

  constructor(private readonly ctx: TermContext) {}

  /** Streams while this replica holds the lease; true only while a fresh lease check says so. */
  get streaming(): boolean {
    return this.started && !this.ended && (this.lease?.held ?? false);
  }

  get confirmedLsn(): string | null {
    return this.acknowledger?.safeLsn ?? null;
  }

  /** Runs the term; resolves 'standby' when another replica holds the lease, 'drained' after drain(); rejects with the error that ended it. */
  async run(): Promise<TermEnd> {
    // begin() never rejects here: its error is the term's outcome unless the term already ended.
    const begun = this.begin().then(
      (step) => step,
      (err: Error) => err,
    );
    try {
      const first = await Promise.race([begun, this.outcome]);
      const result = first === 'begun' ? await this.outcome : first;
      if (result instanceof Error) throw result;
      return result;
    } finally {
      // Torn down first, so a begin() still waiting (on Kafka, on the slot) fails fast and stops at
      // its next step; then again for anything it made meanwhile.
      await this.teardown();
      await begun;
      await this.teardown();
    }
  }

  /** Graceful end: stop reading, let Kafka acknowledge what was sent, confirm it. */
  async drain(): Promise<void> {
    this.draining = true;
    this.snapshotter?.stop();
    this.onDemand?.stop();
    if (this.sink && this.started && !this.ended) {
      await this.sink.flush().catch(() => undefined);
      await this.acknowledger?.report(true).catch(() => undefined);
    }
    this.finish('drained');
  }

  private end(err: Error): void {
    if (!this.draining) this.finish(err);
  }

  /** Stops begin() at its next step once the term is over. */
  private stillOn(): void {
    if (this.ended || this.draining) throw new Error('the streaming term ended while it began');
  }

  private async begin(): Promise<'begun' | TermEnd> {
    const { config, logger, pool, metrics } = this.ctx;
    const stream = new ReplicationStream({
      connectionString: config.sourceUrl,
      slot: config.slot,
      publication: config.publication,
      applicationName: `paysync-capture-${config.slot}`,
      walSenderTimeoutMs: config.walSenderTimeoutMs || undefined,
      skipOrigins: config.skipOriginsAtSource,
    });
    this.stream = stream;
    const session = await stream.open();
    const ownPid = await claimSlotLease(session, config.slot);
    if (ownPid === undefined) return 'standby';
    const timeout = await walSenderTimeoutMs(session);
    this.lease = new LeaseWatch(pool, config.slot, ownPid, timeout > 0 ? Math.min(LEASE_FRESH_MS, timeout / 2) : LEASE_FRESH_MS, (holder) =>
      this.end(new LeaseLost(config.slot, holder)),
    );
    this.lease.start();
    this.stillOn();

    const progress = await prepareSource(pool, config, logger);

    // From here on an older replica's producer is refused: it cannot write after this term began.
    this.producer = await connectFencedProducer(this.ctx.kafka, `paysync-capture.${config.topicPrefix}.${config.slot}`);
    this.stillOn();
    const producer = this.producer;
    const codecs = new TableCodecs({
      serde: new RegistrySerde(this.ctx.registry),
      topicPrefix: config.topicPrefix,
      columnPolicy: this.ctx.columnPolicy,
      ensureTopic: (topic) => this.ensureTopic(topic),
    });
    this.sink = new KafkaSink<() => void>(
      (batch) => sendInTransaction(producer, batch),
      (marks) => marks.forEach((mark) => mark()),
      {
        maxInFlightBytes: config.maxInFlightBytes,
        maxBatchBytes: Math.min(1024 * 1024, Math.max(64 * 1024, Math.floor(config.maxInFlightBytes / 4))),
        maxBatchMessages: 2000,
        lingerMs: 5,
        ackTimeoutMs: config.kafkaAckTimeoutMs,
        onSendError: (err, attempt, willRetry) => {
          metrics.produceErrors.inc();
          logger.error({ err, attempt }, willRetry ? 'Kafka did not acknowledge a batch; retrying it' : 'Kafka did not acknowledge a batch; ending the stream');
        },
        stopsOn: (err) => err instanceof ProducerUnusable || isFencedError(err),
        onStopped: (err) => this.end(err as Error),
      },
    );
    const sink = this.sink;
    await waitForSlotRelease(
      pool,
      config.slot,
      (pid, waitedMs) => logger.warn({ slot: config.slot, activePid: pid, waitedMs }, 'the slot is in use by a connection that holds no lease (a capture of an older version?); waiting for it'),
      () => this.ended,
    );
    this.acknowledger = new LsnAcknowledger(stream, (lsn) => metrics.confirmedLsn.set(Number(lsnToBigInt(lsn))));
    const acknowledger = this.acknowledger;
    // Already confirmed, so safe: status updates flow from the start, before Kafka acknowledged
    // anything of this term (else a slow first batch outlasts wal_sender_timeout and ends the term).
    const { rows: slotRows } = await pool.query<{ lsn: string | null }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [config.slot]);
    if (slotRows[0]?.lsn) acknowledger.safeUpTo(slotRows[0].lsn);
    const windows = new WatermarkWindows();
    const database = (await pool.query<{ db: string }>('SELECT current_database() AS db')).rows[0].db;
    const transactionTopic = config.transactionTopic ? transactionTopicName(config.topicPrefix) : undefined;
    // One partition: the transaction topic's order is the source's commit order.
    if (transactionTopic) await ensureTopics(this.ctx.kafka, [{ topic: transactionTopic, numPartitions: 1 }]);
    this.stillOn();
    const rereads = new KeyRereads(
      config.tables,
      (table) => this.codecFor(codecs, table),
      async (codec, keys) => this.snapshotter?.rereadKeys(codec, keys),
      logger,
      (err) => this.end(err),
    );
    const processor = new ChangeProcessor({ database, name: config.topicPrefix }, codecs, (relation) => shapeOfRelation(pool, relation), sink, acknowledger, windows, metrics, transactionTopic,
      (request) => rereads.serve(request),
      (content) => this.onDemand?.onRequest(content),
      config.skipAppliedChanges,
    );

    // The last message's LSN, parsed only when a keepalive reports lag (not once per message).
    let processed: string | undefined;
    // A promise that never settles stops the reading: flow control keeps the socket paused.
    const failed = (err: unknown): Promise<void> => {
      this.end(err as Error);
      return new Promise<void>(() => undefined);
    };
    void stream
      .start({
        onMessage: (lsn, message) => {
          if (this.draining || this.ended) return new Promise<void>(() => undefined);
          processed = lsn;
          try {
            return processor.onMessage(lsn, message)?.catch(failed);
          } catch (err) {
            return failed(err);
          }
        },
        onKeepalive: async (serverLsn, replyRequested) => {
          const serverEnd = lsnToBigInt(serverLsn);
          if (processed !== undefined) {
            const at = lsnToBigInt(processed);
            metrics.lagBytes.set(Number(serverEnd > at ? serverEnd - at : 0n));
          }
          if (replyRequested) await acknowledger.report(true);
        },
        onStreaming: () => {
          this.streamingSinceMs = performance.now();
          logger.info({ slot: config.slot, http: this.ctx.httpUrl }, 'capture streaming');
        },
        onError: (err) => this.end(err),
      })
      .then(
        () => this.end(new Error('the replication connection ended')),
        (err: Error) => this.end(err),
      );
    this.started = true;
    acknowledger.start(1000);
    this.timers.push(setInterval(() => metrics.unacknowledgedBytes.set(sink.unacknowledgedBytes), 1000));
    this.timers.push(setInterval(() => void measureRetainedWal(pool, config.slot, metrics, logger), 10_000));
    void measureRetainedWal(pool, config.slot, metrics, logger);
    if (config.heartbeatMs > 0) this.timers.push(setInterval(() => void emitHeartbeat(pool, logger), config.heartbeatMs));

    this.snapshotter = new WatermarkSnapshotter(
      pool,
      windows,
      progress,
      { emitSnapshotRows: (codec, lsn, rows, absent) => processor.emitSnapshotRows(codec, lsn, rows, absent), acknowledged: () => sink.flush() },
      metrics,
      config.snapshotChunkRows,
      (waitedMs) => logger.warn({ waitedMs }, 'snapshot chunk is waiting for older transactions to end; a long-running transaction on the source delays the snapshot'),
    );
    void this.runSnapshots(codecs, progress).catch((err: Error) => this.end(err));
    // Only the replica holding the lease gets here: a standby serves no request.
    this.onDemand = new OnDemandSnapshots({
      requests: new SnapshotRequests(pool, config.slot),
      copier: this.snapshotter,
      codecFor: (table) => this.codecFor(codecs, table),
      db: pool,
      tables: config.tables,
      maxRowsPerSecond: config.snapshotRequestMaxRowsPerSecond,
      listener: metrics.snapshotRequests,
      logger,
      onFatal: (err) => this.end(err),
    });
    void this.onDemand.resumePending().catch((err: Error) => this.end(err));
    return 'begun';
  }

  private async runSnapshots(codecs: TableCodecs, progress: SnapshotProgress): Promise<void> {
    const state = await progress.load();
    for (const table of this.ctx.config.tables) {
      const saved = state.get(table);
      if (saved?.done) {
        this.ctx.metrics.snapshotDone.set({ table }, 1);
        continue;
      }
      const codec = await this.codecFor(codecs, table);
      this.ctx.logger.info({ table, resumeAfterRows: saved?.rows ?? 0 }, 'snapshot of table starting');
      await this.snapshotter?.snapshotTable(codec, saved);
      if (this.draining || this.ended) return;
      this.ctx.logger.info({ table }, 'snapshot of table done');
    }
  }

  /** The codec of a configured table as the source defines it now. */
  private async codecFor(codecs: TableCodecs, table: string): Promise<TableCodec> {
    const [schema, name] = splitTableName(table);
    return (await codecs.forShape(await readTableShape(this.ctx.pool, schema, name))).codec;
  }

  private async ensureTopic(topic: string): Promise<number> {
    const { kafka, config, logger, metrics } = this.ctx;
    await ensureTopics(kafka, [{ topic, numPartitions: config.topicPartitions, config: tableTopicConfig(config) }]);
    const loss = historyLoss(await topicConfig(kafka, topic));
    metrics.topicLosesHistory.set({ topic }, loss ? 1 : 0);
    if (loss) logger.warn({ topic }, `table topic ${topic} loses history: ${loss}`);
    return partitionCount(kafka, topic);
  }

  /** Drops everything of the term: what was not acknowledged is read again by the next one. */
  private async teardown(): Promise<void> {
    this.ended = true;
    this.lease?.stop();
    this.snapshotter?.stop();
    this.onDemand?.stop();
    this.timers.forEach(clearInterval);
    this.sink?.abort();
    this.acknowledger?.stop();
    await this.stream?.stop().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
  }
}

/** Another replica's replication connection holds the slot's lease now (or none does, after ours ended). */
export class LeaseLost extends Error {
  constructor(slot: string, holder: number | undefined) {
    super(holder === undefined ? `this replica's replication connection no longer holds the lease of slot ${slot}` : `backend ${holder} holds the lease of slot ${slot} now`);
    this.name = 'LeaseLost';
  }
}
