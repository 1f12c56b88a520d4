import { performance } from 'node:perf_hooks';
import type { Queryable } from '@paysync/postgres';
import { slotLeaseHolder } from './slot-lease';

/**
 * Whether this replica still holds its slot's lease, as of a check started less than `freshMs`
 * ago. A replica that was paused (SIGSTOP, a stalled VM) cannot know that PostgreSQL ended its
 * connection and a standby took over: what it last knew is from before the pause. So the answer
 * counts from when a check was *sent*, on the monotonic clock; after a pause longer than `freshMs`
 * it is "no" until a new check says otherwise. With `freshMs` below wal_sender_timeout, an old
 * replica's answer is already "no" when a standby can take over: two replicas never both say yes.
 */
export class LeaseWatch {
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly db: Queryable,
    private readonly slot: string,
    private readonly ownPid: number,
    private readonly freshMs: number,
    /** Called once when another backend (or none) holds the lease: this replica must stop streaming. */
    private readonly onLost: (holder: number | undefined) => void,
  ) {}

  start(): void {
    this.confirmedAt = performance.now();
    this.timer = setInterval(() => void this.check(), Math.max(100, Math.floor(this.freshMs / 3)));
  }

  get held(): boolean {
    return performance.now() - this.confirmedAt < this.freshMs;
  }

  stop(): void {
    clearInterval(this.timer);
    this.confirmedAt = Number.NEGATIVE_INFINITY;
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    const sentAt = performance.now();
    try {
      const holder = await slotLeaseHolder(this.db, this.slot);
      if (holder === this.ownPid) this.confirmedAt = Math.max(this.confirmedAt, sentAt);
      else {
        this.stop();
        this.onLost(holder);
      }
    } catch {
      // The source did not answer: the answer goes stale by itself; a lost connection ends the stream anyway.
    } finally {
      this.checking = false;
    }
  }
}
