import type { Consumer, ConsumerEndBatchProcessEvent, EachBatchPayload, Kafka } from '@paysync/kafka';
import { createConsumer, partitionOffsets } from '@paysync/kafka';
import { sleepUnless, type Logger } from '@paysync/observability';
import type { Change } from '../changes/row-change';
import type { BatchOutcome, PartitionApplier } from './batch-applier';
import type { SkippedRecords } from './kafka-position';
import { ToolingOffsets } from './tooling-offsets';
import { RewindRequired } from './transactional-applier';

export interface ApplyLoopOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  applier: PartitionApplier;
  logger: Logger;
  /** Where each assigned partition starts: the target's stored offset, else the earliest one. */
  startOffset: (topic: string, partition: number) => Promise<bigint | undefined>;
  partitionsConcurrently: number;
  maxBytesPerPartition: number;
  onBatch: (topic: string, partition: number, outcome: BatchOutcome, highWatermark: bigint, seconds: number) => void;
  /** A batch failed with a transient error; it is tried again in `retryInMs`. */
  onRetry: (err: unknown, attempt: number, retryInMs: number) => void;
  /** A fetch sent at `askedAt` (epoch ms) came back: the brokers answer. */
  onFetched: (askedAt: number) => void;
  /** kafkajs gave up on the consumer after its own retries; `restarts`: it starts it again. */
  onConsumerCrash: (err: Error, restarts: boolean) => void;
  /** True while the brokers do not answer: a stop then does not wait for kafkajs to leave the group. */
  brokersAway: () => boolean;
  /** Errors no retry fixes and no record causes (a missing privilege): apply stops instead of retrying. */
  stopsApply: (err: unknown) => boolean;
  /** Told once, with the error that stopped apply; the refused batch was rolled back. */
  onStopped: (err: unknown) => void;
  /** Replay's upper bound: changes it returns true for are not applied. */
  stopBefore?: (change: Change) => boolean;
}

const MAX_BACKOFF_MS = 30_000;
/** How long a stop waits to leave the group while the brokers do not answer (kafkajs would retry it for minutes). */
const LEAVE_WHEN_AWAY_MS = 2000;

/**
 * The consumer side of apply and replay: a consumer group whose positions come from the target
 * (never from Kafka's committed offsets, which are only written afterwards for tooling), one
 * batch per partition applied by BatchApplier, transient failures retried in place with backoff.
 */
export class ApplyLoop {
  readonly consumer: Consumer;
  private stopping = false;
  /** Wakes the retries' waits at stop(): the batch in progress then ends (rolled back) at once. */
  private readonly stopped = new AbortController();
  private halted = false;
  /** Rewinds in a row (transactional mode): their backoff grows like a retry's. */
  private rewinds = 0;
  /** Partitions whose records reached replay's upper bound. */
  readonly finished = new Set<string>();
  /** Per partition, the skips of markers not done yet: a partition's batches and skips run one after another. */
  private readonly skips = new Map<string, Promise<void>>();
  /** The batches being applied now, which a stop waits for. */
  private readonly applying = new Set<Promise<void>>();
  /**
   * Per partition, where the consumer's next fetch starts as the target counts offsets. Kafka
   * answers a fetch with the first record at or after it, so a fetch that begins later found
   * nothing in between: offsets a compacted topic cleaned away, or below the earliest one when the
   * target held none (the position is then 0, where such a target stands). A skip of a fetch of
   * only markers starts from here, so its compare-and-set matches the stored offset across the gap.
   */
  private readonly fetchPositions = new Map<string, bigint>();
  /**
   * Partitions of the current assignment seeked to the target's offset. Until then kafkajs fetches
   * from Kafka's committed offset, which can be ahead of the target's (a target restored from a
   * backup): such a batch is never applied, or the records between would be skipped.
   */
  private readonly positioned = new Set<string>();
  /** Group joins so far: a seek of an earlier assignment still retrying gives up. */
  private joins = 0;
  private readonly toolingOffsets: ToolingOffsets;

  constructor(private readonly options: ApplyLoopOptions) {
    this.consumer = createConsumer(options.kafka, { groupId: options.groupId, maxBytesPerPartition: options.maxBytesPerPartition });
    this.toolingOffsets = new ToolingOffsets(
      (offsets) => this.consumer.commitOffsets(offsets),
      (err) => options.logger.warn({ err }, 'could not commit offsets to Kafka (the target holds them; only tooling sees the difference)'),
    );
  }

  /** Joins the group and consumes; a stop() meanwhile (a SIGTERM while the brokers do not answer) wins: nothing is left connected. */
  async start(): Promise<void> {
    const { consumer, options } = this;
    await consumer.connect();
    if (this.stopping) return this.consumer.disconnect();
    await consumer.subscribe({ topics: options.topics, fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.positioned.clear();
      this.fetchPositions.clear();
      this.toolingOffsets.forget();
      void this.seekAssigned(payload.memberAssignment, ++this.joins);
    });
    // kafkajs resolves a fetch of only Kafka markers and aborted records itself, without eachBatch.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => this.onResolvedWithoutBatch(payload));
    consumer.on(consumer.events.FETCH, ({ payload }) => options.onFetched(Date.now() - payload.duration));
    consumer.on(consumer.events.CRASH, ({ payload }) => options.onConsumerCrash(payload.error, payload.restart));
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConcurrently,
      eachBatch: (payload) => this.track(this.onBatch(payload)),
    });
    if (this.stopping) await this.consumer.disconnect();
  }

  /**
   * The batches in progress end first, each committed or rolled back whole (a retry's wait is cut
   * short); then the consumer commits their offsets for tooling and leaves the group: at once, or,
   * while the brokers do not answer, as far as it gets in LEAVE_WHEN_AWAY_MS without the commit (the
   * session timeout ends the membership otherwise).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    await Promise.all([...this.applying, ...this.skips.values()]);
    if (!this.options.brokersAway()) await this.toolingOffsets.flush();
    const left = this.consumer.disconnect().then(() => true);
    if (this.options.brokersAway()) {
      const gone = await Promise.race([left, new Promise<false>((resolve) => setTimeout(() => resolve(false), LEAVE_WHEN_AWAY_MS).unref())]);
      if (!gone) this.options.logger.warn({ waitedMs: LEAVE_WHEN_AWAY_MS }, 'stopping without leaving the consumer group: the brokers do not answer');
      left.catch(() => undefined);
    } else {
      await left;
    }
    await this.options.applier.release?.();
  }

  private track(batch: Promise<void>): Promise<void> {
    this.applying.add(batch);
    return batch.finally(() => this.applying.delete(batch));
  }

  pause(topic: string, partition: number): void {
    this.consumer.pause([{ topic, partitions: [partition] }]);
  }

  /** Seeks every assigned partition to the target's offset, retried while the target cannot say it. */
  private async seekAssigned(assignment: Record<string, number[]>, join: number): Promise<void> {
    for (let attempt = 1; !this.stopping && join === this.joins; attempt++) {
      try {
        return await this.seekEach(assignment, join);
      } catch (err) {
        this.options.logger.error({ err, attempt }, "could not seek to the target's stored offsets; retrying");
        await this.sleep(Math.min(MAX_BACKOFF_MS, 200 * 2 ** Math.min(attempt, 8)));
      }
    }
  }

  private async seekEach(assignment: Record<string, number[]>, join: number): Promise<void> {
    for (const [topic, partitions] of Object.entries(assignment)) {
      let earliest: Map<number, bigint> | undefined;
      const earliestOf = async (partition: number) => (earliest ??= new Map((await partitionOffsets(this.options.kafka, topic)).map((p) => [p.partition, p.low]))).get(partition) ?? 0n;
      const resumed: { partition: number; offset: bigint }[] = [];
      for (const partition of partitions) {
        const stored = await this.options.startOffset(topic, partition);
        const offset = stored ?? (await earliestOf(partition));
        if (join !== this.joins) return;
        this.fetchPositions.set(`${topic}:${partition}`, stored ?? 0n);
        // Where apply resumes, e.g. after a target was restored from a backup: its offsets, not Kafka's.
        this.options.logger.info({ topic, partition, offset: offset.toString(), from: stored === undefined ? 'earliest' : 'target' }, 'partition assigned');
        this.consumer.seek({ topic, partition, offset: offset.toString() });
        this.positioned.add(`${topic}:${partition}`);
        if (stored !== undefined) resumed.push({ partition, offset });
      }
      await this.checkRecordsKept(topic, resumed, earliestOf);
    }
  }

  /**
   * A stored offset below the earliest record Kafka holds (a target restored from an old backup, or
   * stopped for longer than the topic's retention): Kafka starts the partition at its earliest
   * record, and the records between, removed by retention, never reach the target. Said loudly.
   */
  private async checkRecordsKept(topic: string, resumed: { partition: number; offset: bigint }[], earliestOf: (partition: number) => Promise<bigint>): Promise<void> {
    try {
      for (const { partition, offset } of resumed) {
        const low = await earliestOf(partition);
        if (offset < low) {
          this.options.logger.error(
            { topic, partition, offset: offset.toString(), earliest: low.toString() },
            "the target's offset is below the earliest record the topic still holds: the records between are gone (retention) and missing from the target; repair it with the reconciler (see docs/backups.md)",
          );
        }
      }
    } catch (err) {
      this.options.logger.warn({ err, topic }, "could not check that the topic still holds the records after the target's offsets");
    }
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { options } = this;
    await this.skips.get(`${batch.topic}:${batch.partition}`);
    // Halted on an error that stops apply, or stopping: no later batch is applied (the target's offsets say where to resume).
    if (this.halted || this.stopping || batch.messages.length === 0) return;
    // Fetched before the seek to the target's offset took effect: kafkajs fetches again from there.
    if (!this.positioned.has(`${batch.topic}:${batch.partition}`) || isStale()) return;
    const records = batch.messages.map((m) => ({ key: m.key, value: m.value, offset: BigInt(m.offset), headers: m.headers }));
    // kafkajs's first and last offset of the fetch count its markers and aborted records too.
    const fetched = { firstOffset: BigInt(batch.firstOffset() ?? batch.messages[0].offset), lastOffset: BigInt(batch.lastOffset()) };
    const started = process.hrtime.bigint();
    let outcome: BatchOutcome | undefined;
    for (let attempt = 1; outcome === undefined; attempt++) {
      try {
        outcome = await options.applier.apply({ topic: batch.topic, partition: batch.partition, records, ...fetched }, options.stopBefore);
      } catch (err) {
        // Nothing was committed: redoing the batch is safe. A revoked partition is redone by its new owner.
        if (this.stopping || !isRunning() || isStale()) return;
        const cause = err instanceof RewindRequired ? err.cause : err;
        if (options.stopsApply(cause)) {
          if (!this.halted) options.onStopped(cause);
          this.halted = true;
          return;
        }
        if (err instanceof RewindRequired) {
          // What was rolled back began in earlier batches: read again from the target's offset.
          this.rewinds += 1;
          const retryInMs = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.rewinds, 8));
          options.onRetry(err.cause, this.rewinds, retryInMs);
          await this.sleep(retryInMs);
          if (this.stopping) return;
          this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: err.offset.toString() });
          this.fetchPositions.set(`${batch.topic}:${batch.partition}`, err.offset);
          return;
        }
        const retryInMs = Math.min(MAX_BACKOFF_MS, 200 * 2 ** Math.min(attempt, 8));
        options.onRetry(err, attempt, retryInMs);
        await this.sleep(retryInMs);
        if (this.stopping) return;
        await heartbeat().catch(() => undefined);
      }
    }
    this.rewinds = 0;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    options.onBatch(batch.topic, batch.partition, outcome, BigInt(batch.highWatermark), seconds);
    if (outcome.reachedBound) {
      this.finished.add(`${batch.topic}:${batch.partition}`);
      this.pause(batch.topic, batch.partition);
      return;
    }
    resolveOffset(batch.lastOffset());
    this.fetchPositions.set(`${batch.topic}:${batch.partition}`, fetched.lastOffset + 1n);
    this.toolingOffsets.note(batch.topic, batch.partition, outcome.nextOffset);
  }

  private onResolvedWithoutBatch({ topic, partition, batchSize, firstOffset, lastOffset, highWatermark }: ConsumerEndBatchProcessEvent['payload']): void {
    // A batch apply was handed (it stored its own offset), or a fetch of only records below the position.
    const id = `${topic}:${partition}`;
    // Not seeked to the target's offset yet (see `positioned`): the fetch may start past records not applied.
    if (batchSize > 0 || firstOffset === null || !this.positioned.has(id)) return;
    const position = this.fetchPositions.get(id);
    const first = position !== undefined && position < BigInt(firstOffset) ? position : BigInt(firstOffset);
    const skipped = { topic, partition, first, last: BigInt(lastOffset) };
    this.fetchPositions.set(id, skipped.last + 1n);
    this.skips.set(id, (this.skips.get(id) ?? Promise.resolve()).then(() => this.skip(skipped, BigInt(highWatermark))));
  }

  /** Moves the target's offset over markers and aborted records (kafka-position.ts), retried like a batch. */
  private async skip(skipped: SkippedRecords, highWatermark: bigint): Promise<void> {
    const { options } = this;
    const started = process.hrtime.bigint();
    for (let attempt = 1; !this.halted && !this.stopping; attempt++) {
      try {
        const nextOffset = await options.applier.skip(skipped);
        if (nextOffset === undefined) return;
        const outcome: BatchOutcome = { applied: [], stale: 0, nextOffset, redelivered: 0, deadLetters: 0, newestCommitTimeMs: undefined, reachedBound: false };
        options.onBatch(skipped.topic, skipped.partition, outcome, highWatermark, Number(process.hrtime.bigint() - started) / 1e9);
        this.toolingOffsets.note(skipped.topic, skipped.partition, nextOffset);
        return;
      } catch (err) {
        if (this.stopping) return;
        if (options.stopsApply(err)) {
          if (!this.halted) options.onStopped(err);
          this.halted = true;
          return;
        }
        const retryInMs = Math.min(MAX_BACKOFF_MS, 200 * 2 ** Math.min(attempt, 8));
        options.onRetry(err, attempt, retryInMs);
        await this.sleep(retryInMs);
      }
    }
  }

  /** A retry's wait, over at once when stop() is called. */
  private async sleep(ms: number): Promise<void> {
    await sleepUnless(ms, this.stopped.signal);
  }
}
