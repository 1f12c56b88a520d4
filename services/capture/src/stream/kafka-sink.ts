import type { Message, TopicMessages } from '@paysync/kafka';

/** Sends one batch and resolves once Kafka acknowledged all of it (acks=all). */
export type SendBatch = (batch: TopicMessages[]) => Promise<unknown>;

/**
 * What a message costs in memory beyond its key and value while it waits for Kafka: the message
 * object and two Buffer views on the V8 heap, measured at about 250 bytes.
 */
export const HELD_MESSAGE_OVERHEAD_BYTES = 256;

export interface KafkaSinkOptions {
  /** Bytes pushed but not yet acknowledged, overhead included; `push` waits above this (backpressure). */
  maxInFlightBytes: number;
  /** A batch is closed and sent at this many bytes ... */
  maxBatchBytes: number;
  /** ... or this many messages ... */
  maxBatchMessages: number;
  /** ... or after this long since its first message. */
  lingerMs: number;
  /** Wait between retries of a failed batch (it is retried in place, never skipped). */
  retryBackoffMs?: (attempt: number) => number;
  onSendError?: (err: unknown, attempt: number, willRetry: boolean) => void;
  /** Errors a retry in place cannot fix (a fenced producer): the sink stops and reports the error here. */
  stopsOn?: (err: unknown) => boolean;
  /**
   * A send Kafka has not acknowledged after this long stops the sink with a KafkaAckTimeout (the
   * client retries an unreachable broker inside one send for as long as it likes; capture must
   * notice, say so, and reconnect instead of looking healthy). Unset: no limit.
   */
  ackTimeoutMs?: number;
  onStopped?: (err: unknown) => void;
}

/** Kafka acknowledged nothing of a send for `ackTimeoutMs`: a broker away, or unable to take writes. */
export class KafkaAckTimeout extends Error {
  constructor(ms: number) {
    super(`Kafka acknowledged nothing of a send for ${ms} ms (PAYSYNC_KAFKA_ACK_TIMEOUT_MS); reconnecting`);
    this.name = 'KafkaAckTimeout';
  }
}

interface Batch<M> {
  topics: Map<string, Message[]>;
  bytes: number;
  count: number;
  marks: M[];
  /** Told once this batch (and so everything before it) is acknowledged, or that it never will be. */
  settled: { resolve: () => void; reject: (err: unknown) => void }[];
}

function emptyBatch<M>(): Batch<M> {
  return { topics: new Map(), bytes: 0, count: 0, marks: [], settled: [] };
}

/**
 * An ordered, bounded pipe into Kafka. Messages are grouped into batches sent one after another, so
 * Kafka acknowledges them in push order. A mark (e.g. a commit LSN) placed with `mark()` is handed
 * to `onAcked` only when every message pushed before it has been acknowledged: this is what lets
 * capture confirm a WAL position without ever confirming an unacknowledged change.
 */
export class KafkaSink<M> {
  private open: Batch<M> = emptyBatch();
  private readonly queue: Batch<M>[] = [];
  private sending = false;
  private inFlightBytes = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private waiters: (() => void)[] = [];
  private stopped = false;
  private stopError: unknown;

  constructor(
    private readonly send: SendBatch,
    private readonly onAcked: (marks: M[]) => void,
    private readonly options: KafkaSinkOptions,
  ) {}

  /**
   * Adds a message. Returns nothing when it is taken at once (the usual case, and then no promise
   * is made: capture pushes every event through here), or a promise that resolves once the
   * unacknowledged bytes are back within the bound (backpressure): wait for it before pushing more.
   */
  push(topic: string, message: Message): Promise<void> | undefined {
    const bytes = (message.value?.length ?? 0) + (message.key?.length ?? 0) + HELD_MESSAGE_OVERHEAD_BYTES;
    const messages = this.open.topics.get(topic);
    if (messages) messages.push(message);
    else this.open.topics.set(topic, [message]);
    this.open.bytes += bytes;
    this.open.count += 1;
    this.inFlightBytes += bytes;
    if (this.open.bytes >= this.options.maxBatchBytes || this.open.count >= this.options.maxBatchMessages) this.closeBatch();
    else this.armLinger();
    return this.overBound() ? this.backWithinBound() : undefined;
  }

  private overBound(): boolean {
    return this.inFlightBytes > this.options.maxInFlightBytes && !this.stopped;
  }

  private async backWithinBound(): Promise<void> {
    while (this.overBound()) {
      this.closeBatch();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** A position reported through `onAcked` once everything pushed so far is acknowledged. */
  mark(position: M): void {
    this.open.marks.push(position);
    this.armLinger();
  }

  get unacknowledgedBytes(): number {
    return this.inFlightBytes;
  }

  /**
   * Sends what is open and resolves when everything pushed before this call is acknowledged
   * (not waiting for what is pushed later, so a busy stream cannot stall it).
   */
  async flush(): Promise<void> {
    if (this.stopped) throw this.stopError ?? new Error('the Kafka sink was stopped');
    const last = this.open.count > 0 || this.open.marks.length > 0 ? this.open : this.queue[this.queue.length - 1];
    if (!last) return;
    const settled = new Promise<void>((resolve, reject) => last.settled.push({ resolve, reject }));
    this.closeBatch();
    await settled;
  }

  /**
   * Stops retrying; pending pushes are released and pending flushes rejected. Used when what was
   * pushed is given up (the process or the streaming term is going down).
   */
  abort(err?: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopError = err;
    clearTimeout(this.lingerTimer);
    const reason = err ?? new Error('the Kafka sink was stopped');
    for (const batch of [...this.queue, this.open]) batch.settled.forEach(({ reject }) => reject(reason));
    this.releaseWaiters();
  }

  private armLinger(): void {
    if (this.lingerTimer) return;
    this.lingerTimer = setTimeout(() => this.closeBatch(), this.options.lingerMs);
  }

  private closeBatch(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.open.count === 0 && this.open.marks.length === 0) return;
    this.queue.push(this.open);
    this.open = emptyBatch();
    void this.drain();
  }

  /**
   * Sends the queued batches in order. The batches waiting behind a send go out together as one
   * (up to the batch limits): each send of a fenced producer is a Kafka transaction with a fixed
   * cost of several round trips, so sending every linger-closed batch on its own would cap a busy
   * stream at a few hundred sends per second.
   */
  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    while (this.queue.length > 0 && !this.stopped) {
      const batches = this.takeSendable();
      const topics = mergedTopics(batches);
      if (topics.length > 0) await this.sendUntilAcked(topics);
      if (this.stopped) break;
      this.queue.splice(0, batches.length);
      for (const batch of batches) {
        this.inFlightBytes -= batch.bytes;
        if (batch.marks.length > 0) this.onAcked(batch.marks);
        batch.settled.forEach(({ resolve }) => resolve());
      }
      this.releaseWaiters();
    }
    this.sending = false;
  }

  /** The queue's first batch, and the ones after it while together they stay within the batch limits. */
  private takeSendable(): Batch<M>[] {
    const taken = [this.queue[0]];
    let { bytes, count } = this.queue[0];
    for (const next of this.queue.slice(1)) {
      if (count + next.count > this.options.maxBatchMessages || bytes + next.bytes > this.options.maxBatchBytes) break;
      taken.push(next);
      bytes += next.bytes;
      count += next.count;
    }
    return taken;
  }

  /** A failed batch is retried in place, forever, with backoff: skipping it would lose changes. */
  private async sendUntilAcked(topicMessages: TopicMessages[]): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.acknowledged(this.send(topicMessages));
        return;
      } catch (err) {
        if (this.stopped) return;
        const stops = err instanceof KafkaAckTimeout || (this.options.stopsOn?.(err) ?? false);
        this.options.onSendError?.(err, attempt, !stops);
        if (stops) {
          this.abort(err);
          this.options.onStopped?.(err);
          return;
        }
        const wait = this.options.retryBackoffMs?.(attempt) ?? Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** The send, or a KafkaAckTimeout once it has taken longer than `ackTimeoutMs`. */
  private acknowledged(send: Promise<unknown>): Promise<unknown> {
    const limit = this.options.ackTimeoutMs;
    if (limit === undefined) return send;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KafkaAckTimeout(limit)), limit);
    });
    // A send given up on may still fail later: nobody waits for it then.
    send.catch(() => undefined);
    return Promise.race([send, timeout]).finally(() => clearTimeout(timer));
  }

  private releaseWaiters(): void {
    if (this.overBound()) return;
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((resolve) => resolve());
  }
}

/** The batches' messages per topic, each topic's in push order (Kafka keeps that order per partition). */
function mergedTopics<M>(batches: Batch<M>[]): TopicMessages[] {
  const merged = new Map<string, Message[]>();
  for (const batch of batches) {
    for (const [topic, messages] of batch.topics) {
      const into = merged.get(topic);
      if (into) into.push(...messages);
      else merged.set(topic, [...messages]);
    }
  }
  return [...merged].map(([topic, messages]) => ({ topic, messages }));
}
