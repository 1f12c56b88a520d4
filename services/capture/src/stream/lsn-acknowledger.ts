import { lsnToBigInt } from '@paysync/postgres';

export interface Confirmer {
  confirm(lsn: string, requestReply?: boolean): Promise<void>;
}

/**
 * The only place capture acknowledges a WAL position to PostgreSQL.
 *
 * It is told positions that became safe (`safeUpTo`: a commit's end LSN or a heartbeat's LSN,
 * reported by the Kafka sink once every event before it was acknowledged by Kafka) and reports
 * the newest of them: soon after it changes, on a status timer, whenever the server asks, and on
 * shutdown. It never reports a position it was not told was safe, so after a crash PostgreSQL
 * re-sends everything Kafka may lack.
 */
export class LsnAcknowledger {
  private safe: { lsn: string; value: bigint } | undefined;
  private reported: bigint = -1n;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: Confirmer,
    private readonly onReported: (lsn: string) => void = () => undefined,
  ) {}

  safeUpTo(lsn: string): void {
    const value = lsnToBigInt(lsn);
    if (!this.safe || value > this.safe.value) this.safe = { lsn, value };
  }

  get safeLsn(): string | undefined {
    return this.safe?.lsn;
  }

  /**
   * Reports a newly safe position within `promptMs`, so the slot (and whoever watches it) sees
   * progress at once rather than up to a status interval late, and the safe position every
   * `intervalMs` even when unchanged, which keeps the walsender from timing out.
   */
  start(intervalMs: number, promptMs = Math.min(100, intervalMs)): void {
    let sinceStatusMs = 0;
    this.timer = setInterval(() => {
      sinceStatusMs += promptMs;
      const statusDue = sinceStatusMs >= intervalMs;
      if (statusDue) sinceStatusMs = 0;
      void this.report(statusDue).catch(() => undefined);
    }, promptMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Answers a keepalive or reports progress; `force` sends even when nothing changed (a status update). */
  async report(force = false): Promise<void> {
    if (!this.safe) return;
    if (!force && this.safe.value === this.reported) return;
    const { lsn, value } = this.safe;
    await this.stream.confirm(lsn);
    this.reported = value;
    this.onReported(lsn);
  }
}
