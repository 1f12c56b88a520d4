import { ToolingOffsets, type PartitionOffset } from './tooling-offsets';

describe('ToolingOffsets', () => {
  it('sends the newest offset of each partition once per interval, in one request', async () => {
    const sent: PartitionOffset[][] = [];
    const offsets = new ToolingOffsets(async (o) => void sent.push(o), () => undefined, 20);
    offsets.note('t', 0, 5n);
    offsets.note('t', 1, 3n);
    offsets.note('t', 0, 9n);
    expect(sent).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sent).toEqual([
      [
        { topic: 't', partition: 0, offset: '9' },
        { topic: 't', partition: 1, offset: '3' },
      ],
    ]);
  });

  it('sends one request at a time, in order, and at flush what is pending', async () => {
    const calls: string[] = [];
    let release = (): void => undefined;
    const offsets = new ToolingOffsets(
      async (o) => {
        calls.push(`start ${o.map((p) => p.offset).join(',')}`);
        if (calls.length === 1) await new Promise<void>((resolve) => (release = resolve));
        calls.push(`end ${o.map((p) => p.offset).join(',')}`);
      },
      () => undefined,
      60_000,
    );
    offsets.note('t', 0, 5n);
    const first = offsets.flush();
    offsets.note('t', 0, 7n);
    const second = offsets.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['start 5']);
    release();
    await Promise.all([first, second]);
    expect(calls).toEqual(['start 5', 'end 5', 'start 7', 'end 7']);
  });

  it('drops what is pending at a group join, and hands a failed request to onError without stopping later ones', async () => {
    const errors: unknown[] = [];
    const sent: string[] = [];
    const offsets = new ToolingOffsets(
      async (o) => {
        if (o[0].offset === '1') throw new Error('rebalance in progress');
        sent.push(o[0].offset);
      },
      (err) => void errors.push(err),
      60_000,
    );
    offsets.note('t', 0, 4n);
    offsets.forget();
    await offsets.flush();
    offsets.note('t', 0, 1n);
    await offsets.flush();
    offsets.note('t', 0, 2n);
    await offsets.flush();
    expect(sent).toEqual(['2']);
    expect(errors).toEqual([new Error('rebalance in progress')]);
  });
});
