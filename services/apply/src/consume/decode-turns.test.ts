import { DecodeTurns } from './decode-turns';

describe('DecodeTurns', () => {
  it('runs each decode after the ones before it, even when a later one would finish first', async () => {
    const turns = new DecodeTurns();
    const order: string[] = [];
    let releaseFirst!: () => void;
    const first = turns.inTurn(async () => {
      order.push('first starts');
      await new Promise<void>((resolve) => (releaseFirst = resolve));
      order.push('first ends');
    });
    const second = turns.inTurn(async () => {
      order.push('second');
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['first starts']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['first starts', 'first ends', 'second']);
  });

  it('lets the next decode run after one that failed', async () => {
    const turns = new DecodeTurns();
    await expect(turns.inTurn(async () => Promise.reject(new Error('bad batch')))).rejects.toThrow('bad batch');
    await expect(turns.inTurn(async () => 'next')).resolves.toBe('next');
  });

  it('gives the event loop a turn every 500 records only', async () => {
    expect(DecodeTurns.breather(0)).toBeUndefined();
    expect(DecodeTurns.breather(499)).toBeUndefined();
    await expect(DecodeTurns.breather(500)).resolves.toBeUndefined();
    expect(DecodeTurns.breather(1000)).toBeDefined();
  });
});
