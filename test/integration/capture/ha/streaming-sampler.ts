import { httpAddressOf } from '../../../support/metrics-scrape';
import type { PaysyncProcess } from '../../../support/paysync-process';
import { repeat, type Repeating } from '../../../support/repeat';
import { LOG, logged, running, streamingState } from './replica-health';

/** One round: every replica's paysync_capture_streaming, scraped at the same moment. */
export interface SampleRound {
  at: number;
  values: number[];
}

/**
 * Scrapes paysync_capture_streaming of every replica (the list may grow) every `everyMs`, all of a
 * round in parallel so the values belong to one instant. A replica that does not answer (dead,
 * not started yet) counts as 0: it streams nothing. Rounds whose sum is 2 or more are kept.
 */
export class StreamingSampler {
  rounds = 0;
  /** Scrapes of a running replica that failed (counted as 0): many would make the check weak. */
  missedLive = 0;
  readonly overlaps: SampleRound[] = [];
  private sampling: Repeating | undefined;

  constructor(
    private readonly replicas: () => PaysyncProcess[],
    private readonly everyMs = 100,
  ) {}

  start(): void {
    this.sampling = repeat(async () => {
      const at = Date.now();
      const values = await Promise.all(this.replicas().map((replica) => this.sample(replica)));
      this.rounds += 1;
      if (values.reduce((a, b) => a + b, 0) >= 2) this.overlaps.push({ at, values });
    }, this.everyMs);
  }

  async stop(): Promise<void> {
    await this.sampling?.stop();
  }

  private async sample(replica: PaysyncProcess): Promise<number> {
    if (logged(replica, LOG.listening).length === 0) return 0;
    const state = await streamingState(httpAddressOf(replica, LOG.listening), 1000);
    if (state === undefined && running(replica)) this.missedLive += 1;
    if (state && Number.isNaN(state.streaming)) throw new Error(`a replica exports no paysync_capture_streaming; output:\n${replica.output().slice(-2000)}`);
    return state?.streaming ?? 0;
  }
}
