import type { Queryable } from '@paysync/postgres';
import { LeaseWatch } from './lease-watch';

/** A source whose lease holder the test sets, answering after `delayMs`. */
function fakeSource(holder: { pid: number | undefined }, delayMs = 0): Queryable {
  return {
    query: async <R>() => {
      const answer = holder.pid;
      await new Promise((r) => setTimeout(r, delayMs));
      return { rows: (answer === undefined ? [] : [{ pid: String(answer) }]) as R[], rowCount: 0 };
    },
  } as Queryable;
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('LeaseWatch', () => {
  it('says held while checks confirm it, and reports the new holder once', async () => {
    const holder = { pid: 42 as number | undefined };
    const lost: (number | undefined)[] = [];
    const watch = new LeaseWatch(fakeSource(holder), 'slot', 42, 1000, (h) => lost.push(h));
    watch.start();
    expect(watch.held).toBe(true);
    await new Promise((r) => setTimeout(r, 1200));
    expect(watch.held).toBe(true);
    holder.pid = 7;
    await until(() => lost.length > 0);
    expect(lost).toEqual([7]);
    expect(watch.held).toBe(false);
    watch.stop();
  });

  it('counts an answer from when its check was sent: a slow "yes" does not make a stale lease fresh', async () => {
    const holder = { pid: 42 as number | undefined };
    const watch = new LeaseWatch(fakeSource(holder, 500), 'slot', 42, 300, () => undefined);
    watch.start();
    await new Promise((r) => setTimeout(r, 350));
    expect(watch.held).toBe(false);
    await new Promise((r) => setTimeout(r, 300)); // the first answer ("yes", sent at ~100 ms) arrived at ~600 ms
    expect(watch.held).toBe(false);
    watch.stop();
  });
});
