import type { Logger } from '@paysync/observability';
import { DeleteMarkerPurge } from './delete-marker-purge';

/** A target whose purges answer `counts` in turn (then 0), or throw where the count is an Error. */
function fakeTarget(counts: (number | Error)[]) {
  const calls: [number, number][] = [];
  return {
    calls,
    purgeDeleteMarkers: async (olderThanMs: number, limit: number) => {
      calls.push([olderThanMs, limit]);
      const next = counts.shift() ?? 0;
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

function purgeOf(target: ReturnType<typeof fakeTarget>, intervalMs = 1000) {
  const purged: number[] = [];
  const warnings: string[] = [];
  const logger = { info: () => undefined, warn: (_fields: unknown, msg: string) => void warnings.push(msg) } as unknown as Logger;
  const purge = new DeleteMarkerPurge({ target, retentionMs: 604_800_000, intervalMs, logger, onPurged: (n) => void purged.push(n), batch: 3 });
  return { purge, purged, warnings };
}

describe('DeleteMarkerPurge', () => {
  afterEach(() => jest.useRealTimers());

  it('deletes batch after batch of markers older than the retention until a batch comes back short', async () => {
    const target = fakeTarget([3, 3, 1, 3]);
    const { purge, purged } = purgeOf(target);
    expect(await purge.purge()).toBe(7);
    expect(target.calls).toEqual([
      [604_800_000, 3],
      [604_800_000, 3],
      [604_800_000, 3],
    ]);
    expect(purged).toEqual([3, 3, 1]);
  });

  it('logs a failed round, counts what it purged before, and the next round goes on', async () => {
    const target = fakeTarget([3, new Error('connection terminated'), 2]);
    const { purge, purged, warnings } = purgeOf(target);
    expect(await purge.purge()).toBe(3);
    expect(warnings).toEqual(['purging delete markers failed; the next round tries again']);
    expect(await purge.purge()).toBe(2);
    expect(purged).toEqual([3, 2]);
  });

  it('runs a round every interval, one at a time, and none after stop', async () => {
    jest.useFakeTimers();
    let release = (): void => undefined;
    const rounds: string[] = [];
    const target = {
      purgeDeleteMarkers: async () => {
        rounds.push('round');
        await new Promise<void>((resolve) => (release = resolve));
        return 0;
      },
    };
    const { purge } = purgeOf(target as unknown as ReturnType<typeof fakeTarget>, 1000);
    purge.start();
    await jest.advanceTimersByTimeAsync(999);
    expect(rounds).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(rounds).toEqual(['round']);
    // A slow round: the next interval starts only after it.
    await jest.advanceTimersByTimeAsync(5000);
    expect(rounds).toEqual(['round']);
    release();
    await jest.advanceTimersByTimeAsync(1000);
    expect(rounds).toEqual(['round', 'round']);
    const stopped = purge.stop();
    release();
    await stopped;
    await jest.advanceTimersByTimeAsync(5000);
    expect(rounds).toEqual(['round', 'round']);
  });
});
