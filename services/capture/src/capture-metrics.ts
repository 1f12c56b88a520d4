import { Counter, Gauge, type Registry } from '@paysync/observability';
import type { ProcessorListener } from './stream/change-processor';
import { SnapshotRequestMetrics } from './snapshot/snapshot-request-metrics';
import type { SnapshotListener } from './snapshot/watermark-snapshotter';

/** What an SRE watches of capture: throughput by table and op, lag, retained WAL, errors, snapshot progress. */
export class CaptureMetrics implements ProcessorListener, SnapshotListener {
  readonly events: Counter<'table' | 'op'>;
  readonly lastEvent: Gauge;
  readonly lagSeconds: Gauge;
  readonly lagBytes: Gauge;
  readonly retainedWalBytes: Gauge;
  readonly produceErrors: Counter;
  readonly schemaChanges: Counter<'table'>;
  readonly schemaIncompatible: Gauge<'table'>;
  readonly topicLosesHistory: Gauge<'topic'>;
  readonly unacknowledgedBytes: Gauge;
  readonly snapshotRows: Counter<'table'>;
  readonly snapshotChunks: Counter<'table'>;
  readonly snapshotDone: Gauge<'table'>;
  readonly confirmedLsn: Gauge;
  readonly streaming: Gauge;
  readonly recoveries: Counter<'reason'>;
  readonly skippedAppliedChanges: Counter<'table'>;
  /** The requests of paysync snapshot: counted across streaming terms, each term serving its own. */
  readonly snapshotRequests: SnapshotRequestMetrics;
  /** Events counted since the counter was last read, by table and op. */
  private readonly pendingEvents = new Map<string, Map<string, number>>();
  private lastEventMs: number | undefined;

  /** `streaming` is asked at every scrape: the answer is as fresh as the replica's lease check. */
  constructor(registry: Registry, streaming: () => boolean) {
    const registers = [registry];
    const addPendingEvents = (): void => this.addPendingEvents();
    this.events = new Counter({
      name: 'paysync_capture_events_total',
      help: 'Change events sent to Kafka, by table and op (c u d t r).',
      labelNames: ['table', 'op'],
      registers,
      collect: addPendingEvents,
    });
    const lastEventMs = (): number | undefined => this.lastEventMs;
    this.lastEvent = new Gauge({
      name: 'paysync_capture_last_event_timestamp_seconds',
      help: 'Unix time capture last handed a change event to Kafka (any table): it stops moving when nothing is captured.',
      registers,
      collect() {
        const ms = lastEventMs();
        if (ms !== undefined) this.set(ms / 1000);
      },
    });
    this.lagSeconds = new Gauge({ name: 'paysync_capture_lag_seconds', help: 'Seconds between the newest processed commit (or heartbeat) on the source and its processing.', registers });
    this.lagBytes = new Gauge({ name: 'paysync_capture_lag_bytes', help: 'WAL bytes between the server\'s current position and what capture has processed.', registers });
    this.retainedWalBytes = new Gauge({ name: 'paysync_capture_retained_wal_bytes', help: 'WAL the source keeps on disk for this slot (current LSN - restart_lsn).', registers });
    this.produceErrors = new Counter({ name: 'paysync_capture_produce_errors_total', help: 'Failed Kafka sends (each retried, in place or by a new streaming term).', registers });
    this.schemaChanges = new Counter({ name: 'paysync_capture_schema_changes_total', help: 'New schema versions registered after DDL, by table.', labelNames: ['table'], registers });
    this.schemaIncompatible = new Gauge({ name: 'paysync_capture_schema_incompatible', help: '1 while capture is stopped on an incompatible schema change of this table.', labelNames: ['table'], registers });
    this.topicLosesHistory = new Gauge({
      name: 'paysync_capture_topic_loses_history',
      help: '1 when the table topic deletes records by time or size (not compacted): a replay or drill from earliest cannot rebuild the current state from it.',
      labelNames: ['topic'],
      registers,
    });
    this.unacknowledgedBytes = new Gauge({ name: 'paysync_capture_unacknowledged_bytes', help: 'Bytes sent to Kafka and not acknowledged yet.', registers });
    this.snapshotRows = new Counter({ name: 'paysync_capture_snapshot_rows_total', help: 'Rows copied by the snapshot, by table.', labelNames: ['table'], registers });
    this.snapshotChunks = new Counter({ name: 'paysync_capture_snapshot_chunks_total', help: 'Snapshot chunks acknowledged, by table.', labelNames: ['table'], registers });
    this.snapshotDone = new Gauge({ name: 'paysync_capture_snapshot_done', help: '1 when the table\'s snapshot is complete.', labelNames: ['table'], registers });
    this.confirmedLsn = new Gauge({ name: 'paysync_capture_confirmed_lsn', help: 'The LSN last confirmed to the source (as a number).', registers });
    this.streaming = new Gauge({
      name: 'paysync_capture_streaming',
      help: '1 on the replica that streams the slot, 0 on a standby or while recovering (never 1 on two replicas of a slot).',
      registers,
      collect() {
        this.set(streaming() ? 1 : 0);
      },
    });
    this.recoveries = new Counter({
      name: 'paysync_capture_recoveries_total',
      help: 'Streaming terms ended by a source, Kafka or registry failure and restarted inside the process, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.skippedAppliedChanges = new Counter({
      name: 'paysync_capture_skipped_applied_changes_total',
      help: 'Changes dropped because paysync apply wrote them (PAYSYNC_SKIP_APPLIED_CHANGES), by table.',
      labelNames: ['table'],
      registers,
    });
    this.snapshotRequests = new SnapshotRequestMetrics(registry);
  }

  /**
   * Once per captured row, so it only adds to a plain count per table and op; the counter takes
   * the counts when it is read (a scrape), as does the time of the last event.
   */
  event(table: string, op: string): void {
    let ops = this.pendingEvents.get(table);
    if (!ops) this.pendingEvents.set(table, (ops = new Map()));
    ops.set(op, (ops.get(op) ?? 0) + 1);
    this.lastEventMs = Date.now();
  }

  private addPendingEvents(): void {
    for (const [table, ops] of this.pendingEvents) for (const [op, count] of ops) this.events.inc({ table, op }, count);
    this.pendingEvents.clear();
  }

  committed(commitTimeMs: number): void {
    this.lagSeconds.set(Math.max(0, (Date.now() - commitTimeMs) / 1000));
  }

  heartbeat(emittedAtMs: number): void {
    this.lagSeconds.set(Math.max(0, (Date.now() - emittedAtMs) / 1000));
  }

  schemaChanged(table: string): void {
    this.schemaChanges.inc({ table });
  }

  skippedAppliedChange(table: string): void {
    this.skippedAppliedChanges.inc({ table });
  }

  chunkDone(table: string, rows: number): void {
    this.snapshotChunks.inc({ table });
    this.snapshotRows.inc({ table }, rows);
  }

  tableDone(table: string): void {
    this.snapshotDone.set({ table }, 1);
  }
}
