export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

/** How often the newest offsets go to Kafka: consumer-lag tooling sees them at most this late. */
export const TOOLING_COMMIT_INTERVAL_MS = 1000;

/**
 * Kafka's committed offsets of apply's group, kept for tooling only (consumer lag in
 * kafka-consumer-groups and dashboards): the target's offsets table decides where apply resumes.
 * Committed after every batch, they cost a broker round trip inside each batch (kafkajs's next
 * fetch waited for it) and a write to __consumer_offsets: at 1,000 tx/s the end-to-end p99 was
 * about a fifth higher. So the newest offset of each partition is sent at most every interval, all
 * partitions in one request, one request at a time (a partition's offsets reach Kafka in order),
 * and once more when apply stops.
 */
export class ToolingOffsets {
  private readonly pending = new Map<string, PartitionOffset>();
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly commit: (offsets: PartitionOffset[]) => Promise<void>,
    private readonly onError: (err: unknown) => void,
    private readonly intervalMs = TOOLING_COMMIT_INTERVAL_MS,
  ) {}

  note(topic: string, partition: number, offset: bigint): void {
    this.pending.set(`${topic}:${partition}`, { topic, partition, offset: offset.toString() });
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** At a group join: what is pending belongs to the old assignment, whose partitions may have new owners. */
  forget(): void {
    this.pending.clear();
  }

  /** Sends what is pending after the request in flight; resolves when both are done (errors go to onError). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const offsets = [...this.pending.values()];
    this.pending.clear();
    if (offsets.length > 0) this.sending = this.sending.then(() => this.commit(offsets)).catch(this.onError);
    return this.sending;
  }
}
