import { lsnToBigInt } from '@paysync/postgres';

export interface Confirmer {
  confirm(lsn: string, requestReply?: boolean): Promise<void>;
}

/**
 * The only place capture acknowledges a WAL position to PostgreSQL.
 *
 * It is told positions that became safe (`safeUpTo`: a commit's end LSN or a heartbeat's LSN,
 * reported by the Kafka sink once every event before it was acknowledged by Kafka) and reports
 * the newest of them: on a timer, whenever the server asks, and on shutdown. It never reports a
 * position it was not told was safe, so after a crash PostgreSQL re-sends everything Kafka may lack.
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

  /** Reports the safe position every `intervalMs`, which also keeps the walsender from timing out. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.report(true).catch(() => undefined), intervalMs);
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
