import { byUnchangedColumns, type RowChange } from './row-change';

const change = (id: number, unchanged: string[]): RowChange =>
  ({ kind: 'row', rowKey: `["${id}"]`, key: { id }, row: { id }, unchanged, version: { lsn: 1n, seq: BigInt(id) }, commitTimeMs: 0, offset: BigInt(id) }) as unknown as RowChange;

describe('byUnchangedColumns', () => {
  it('groups changes by the set of columns they left out, keeping their order', () => {
    const groups = byUnchangedColumns([change(1, []), change(2, ['b', 'a']), change(3, []), change(4, ['a', 'b']), change(5, ['a'])]);
    expect([...groups].map(([id, group]) => [id, group.map((c) => c.offset)])).toEqual([
      ['', [1n, 3n]],
      ['a,b', [2n, 4n]],
      ['a', [5n]],
    ]);
  });

  it('groups a large batch in one pass (a batch of 100,000 changes to one table)', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => change(i, []));
    expect(byUnchangedColumns(many).get('')).toHaveLength(100_000);
  });
});
