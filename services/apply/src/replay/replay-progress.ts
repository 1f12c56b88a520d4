import type { BatchOutcome } from '../consume/batch-applier';

interface PartitionProgress {
  topic: string;
  partition: number;
  start: bigint;
  end: bigint;
  next: bigint;
}

/**
 * Replay's progress bar (a redrawn line on a terminal, a line every few seconds otherwise) and
 * closing summary; also decides when every partition has caught up with the end fixed at start.
 */
export class ReplayProgress {
  private readonly partitions = new Map<string, PartitionProgress>();
  private readonly applied = new Map<string, number>();
  private stale = 0;
  private deadLetters = 0;
  private startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private lastLine = 0;
  private closed = false;

  constructor(private readonly out: NodeJS.WriteStream) {}

  partition(topic: string, partition: number, start: bigint, end: bigint): void {
    this.partitions.set(`${topic}:${partition}`, { topic, partition, start, end, next: start });
  }

  starts(): { topic: string; partition: number; offset: bigint }[] {
    return [...this.partitions.values()].map((p) => ({ topic: p.topic, partition: p.partition, offset: p.start }));
  }

  begin(): void {
    this.startedAt = Date.now();
    this.timer = setInterval(() => this.draw(), this.out.isTTY ? 250 : 5000);
  }

  batch(topic: string, partition: number, outcome: BatchOutcome): void {
    const p = this.partitions.get(`${topic}:${partition}`);
    if (p && outcome.nextOffset > p.next) p.next = outcome.nextOffset;
    for (const { table, op, count } of outcome.applied) this.applied.set(`${table} ${op}`, (this.applied.get(`${table} ${op}`) ?? 0) + count);
    this.stale += outcome.stale;
    this.deadLetters += outcome.deadLetters;
  }

  /** Resolves once each partition reached its end (or replay's upper bound); rejects once closed before. */
  async caughtUp(finished: () => Set<string>): Promise<void> {
    for (;;) {
      if (this.closed) throw new Error('stopped before every partition caught up');
      const done = finished();
      if ([...this.partitions.entries()].every(([id, p]) => p.next >= p.end || done.has(id))) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** What the replay did since it began: records read (Kafka's markers counted), rows written, dead letters. */
  totals(): { records: number; rowsWritten: number; deadLetters: number; seconds: number } {
    const rowsWritten = [...this.applied.values()].reduce((sum, n) => sum + n, 0);
    return { records: this.done(), rowsWritten, deadLetters: this.deadLetters, seconds: (Date.now() - this.startedAt) / 1000 };
  }

  summary(deadLetterTopic: string): void {
    this.close();
    this.draw(true);
    const { records, seconds } = this.totals();
    const lines = [
      '',
      `replay caught up in ${seconds.toFixed(1)} s: ${records.toLocaleString('en-US')} records read (${Math.round(records / Math.max(seconds, 0.001)).toLocaleString('en-US')} records/s)`,
      ...[...this.applied.entries()].sort().map(([what, count]) => `  ${what}: ${count.toLocaleString('en-US')}`),
      `  skipped as older than the target (version guard): ${this.stale.toLocaleString('en-US')}`,
      `  dead letters: ${this.deadLetters.toLocaleString('en-US')}${this.deadLetters > 0 ? ` (topic ${deadLetterTopic})` : ''}`,
    ];
    this.out.write(`${lines.join('\n')}\n`);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private done(): number {
    return [...this.partitions.values()].reduce((sum, p) => sum + Number(p.next - p.start), 0);
  }

  private draw(final = false): void {
    const total = [...this.partitions.values()].reduce((sum, p) => sum + Number(p.end - p.start), 0);
    const done = Math.min(this.done(), total);
    const fraction = total === 0 ? 1 : done / total;
    const seconds = (Date.now() - this.startedAt) / 1000;
    const rate = done / Math.max(seconds, 0.001);
    const width = 30;
    const bar = '#'.repeat(Math.round(fraction * width)).padEnd(width, '.');
    const line = `replay [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} records  ${Math.round(rate).toLocaleString('en-US')}/s`;
    if (this.out.isTTY) this.out.write(`\r${line}${final ? '\n' : ''}`);
    else if (final || Date.now() - this.lastLine >= 4000) this.out.write(`${line}\n`);
    this.lastLine = Date.now();
  }
}
