import { coalesceByKey } from './coalesce';
import { expectedRowsOf, type RowChange } from './row-change';

const table = { schema: 'public', table: 'accounts' };
const update = (seq: number, before: number, after: number): RowChange =>
  ({
    kind: 'row',
    table,
    rowKey: '["1"]',
    key: { id: 1 },
    row: { id: 1, balance: after },
    unchanged: [],
    expected: expectedRowsOf('u', { id: 1, balance: before }, { id: 1, balance: after }),
    version: { lsn: 10n, seq: BigInt(seq) },
    commitTimeMs: 0,
    offset: BigInt(seq),
  }) as unknown as RowChange;

describe('coalesceByKey and the conflict check', () => {
  it("keeps the newest row and every change's expected row: the batch may start after any of them (a capture re-sent the first)", () => {
    const [only] = coalesceByKey([update(1, 100, 90), update(2, 90, 80), update(3, 80, 70)]);
    expect(only.row).toEqual({ id: 1, balance: 70 });
    expect(only.expected.map((e) => e.row.balance)).toEqual([100, 90, 80]);
    expect(only.expected.every((e) => !e.absentOk)).toBe(true);
  });

  it('expects a row for an update, the row or none for a delete, the own row or none for an insert or read, nothing without a before image', () => {
    expect(expectedRowsOf('u', { id: 1 }, { id: 2 })).toEqual([{ row: { id: 1 }, absentOk: false }]);
    expect(expectedRowsOf('d', { id: 1 }, null)).toEqual([{ row: { id: 1 }, absentOk: true }]);
    expect(expectedRowsOf('c', null, { id: 2 })).toEqual([{ row: { id: 2 }, absentOk: true }]);
    expect(expectedRowsOf('r', null, { id: 2 })).toEqual([{ row: { id: 2 }, absentOk: true }]);
    expect(expectedRowsOf('u', null, { id: 2 })).toEqual([]);
    expect(expectedRowsOf('d', null, null)).toEqual([]);
  });
});
