import { Counter, Gauge, type Registry } from '@paysync/observability';
import type { RequestListener } from './on-demand-snapshots';

/** What an SRE watches of `paysync snapshot` requests: how many wait, how many run, how many rows they re-sent. */
export class SnapshotRequestMetrics implements RequestListener {
  private readonly requests: Gauge<'state'>;
  private readonly rows: Counter<'table'>;
  private readonly finishedTotal: Counter<'state'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Gauge({ name: 'paysync_capture_snapshot_requests', help: 'Snapshot requests (paysync snapshot) this capture holds, by state: pending (queued) or running.', labelNames: ['state'], registers });
    this.rows = new Counter({ name: 'paysync_capture_snapshot_request_rows_total', help: 'Rows re-sent as snapshot reads by snapshot requests, by table.', labelNames: ['table'], registers });
    this.finishedTotal = new Counter({ name: 'paysync_capture_snapshot_requests_finished_total', help: 'Snapshot requests finished, by state (done or failed).', labelNames: ['state'], registers });
    this.held(0, 0);
  }

  held(pending: number, running: number): void {
    this.requests.set({ state: 'pending' }, pending);
    this.requests.set({ state: 'running' }, running);
  }

  rowsSent(table: string, rows: number): void {
    this.rows.inc({ table }, rows);
  }

  finished(state: 'done' | 'failed'): void {
    this.finishedTotal.inc({ state });
  }
}
