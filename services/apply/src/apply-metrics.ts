import { Counter, Gauge, Histogram, type Registry } from '@paysync/observability';
import type { BatchOutcome } from './consume/batch-applier';

/** What an SRE watches of apply: rows by table and op, lag, batch latency, dead letters, retries, purged delete markers. */
export class ApplyMetrics {
  readonly rows: Counter<'table' | 'op'>;
  readonly stale: Counter;
  readonly redelivered: Counter;
  readonly lagSeconds: Gauge;
  readonly endToEndSeconds: Histogram;
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  readonly batchSeconds: Histogram;
  readonly deadLetters: Counter<'topic'>;
  readonly retries: Counter;
  readonly deleteMarkersPurged: Counter;
  readonly conflicts: Counter<'table' | 'resolution'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.rows = new Counter({ name: 'paysync_apply_rows_total', help: 'Row changes applied to the target, by target table and op (upsert, delete, truncate).', labelNames: ['table', 'op'], registers });
    this.stale = new Counter({ name: 'paysync_apply_stale_total', help: 'Changes skipped by the version guard (the target already held a newer version).', registers });
    this.redelivered = new Counter({ name: 'paysync_apply_redelivered_total', help: 'Records skipped because the target\'s offsets table shows them applied already.', registers });
    this.lagSeconds = new Gauge({ name: 'paysync_apply_lag_seconds', help: 'Seconds from the source commit of the newest applied change to its target commit.', registers });
    this.endToEndSeconds = new Histogram({
      name: 'paysync_apply_end_to_end_seconds',
      help: 'Source commit to target commit, per batch (its newest change).',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    });
    this.consumerLag = new Gauge({ name: 'paysync_apply_consumer_lag_records', help: 'Offsets of the partition apply has not been through yet (high watermark - next offset; Kafka transaction markers take offsets too).', labelNames: ['topic', 'partition'], registers });
    this.batchSeconds = new Histogram({
      name: 'paysync_apply_batch_duration_seconds',
      help: 'Time to apply one batch (decode, target transaction, commit).',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.deadLetters = new Counter({ name: 'paysync_apply_dead_letters_total', help: 'Records sent to the dead-letter topic, by source topic.', labelNames: ['topic'], registers });
    this.retries = new Counter({ name: 'paysync_apply_retries_total', help: 'Batches retried after a transient error (target, registry or Kafka).', registers });
    this.conflicts = new Counter({
      name: 'paysync_apply_conflicts_total',
      help: 'Changes from the other side of a bidirectional pair that met a target row changed here, by source table and what apply did (applied, kept); each is recorded on the conflicts topic.',
      labelNames: ['table', 'resolution'],
      registers,
    });
    this.deleteMarkersPurged = new Counter({ name: 'paysync_apply_delete_markers_purged_total', help: 'Version markers of deleted keys purged from the target after PAYSYNC_DELETE_MARKER_RETENTION_MS.', registers });
  }

  /**
   * Shows each topic's dead-letter count from the start, at 0: a series that is born at 1 has no
   * increase Prometheus can see, so the first poison record of a topic would never alert.
   */
  readsTopics(topics: string[]): void {
    for (const topic of topics) this.deadLetters.inc({ topic }, 0);
  }

  /** The same for conflicts, per source table (0 for ever on a one-way target). */
  appliesTables(tables: string[]): void {
    for (const table of tables) for (const resolution of ['applied', 'kept']) this.conflicts.inc({ table, resolution }, 0);
  }

  batchDone(topic: string, partition: number, outcome: BatchOutcome, highWatermark: bigint, seconds: number): void {
    for (const { table, op, count } of outcome.applied) this.rows.inc({ table, op }, count);
    if (outcome.stale > 0) this.stale.inc(outcome.stale);
    if (outcome.redelivered > 0) this.redelivered.inc(outcome.redelivered);
    if (outcome.deadLetters > 0) this.deadLetters.inc({ topic }, outcome.deadLetters);
    for (const c of outcome.conflicts ?? []) this.conflicts.inc({ table: `${c.change.table.schema}.${c.change.table.table}`, resolution: c.applied ? 'applied' : 'kept' });
    this.batchSeconds.observe(seconds);
    const lag = highWatermark - outcome.nextOffset;
    this.consumerLag.set({ topic, partition: String(partition) }, Number(lag > 0n ? lag : 0n));
    if (outcome.newestCommitTimeMs !== undefined) {
      const lagSeconds = Math.max(0, (Date.now() - outcome.newestCommitTimeMs) / 1000);
      this.lagSeconds.set(lagSeconds);
      this.endToEndSeconds.observe(lagSeconds);
    }
  }
}
