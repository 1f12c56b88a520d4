import { keyId, type ComparedTable, type Key, type KeyRange, type RangeDigest, type ReconcileSide } from '../sides/side';
import { narrowDifferences } from './range-narrowing';

const TABLE: ComparedTable = { label: 'public.payouts', columns: [], keyColumns: [], hashed: new Set(), rowHash: 'md5' };

/** A side over id -> row hash in memory: integer keys, digests as count and the sorted hashes joined. */
function side(rows: Map<number, string>): ReconcileSide {
  const within = (range: KeyRange) => [...rows.keys()].filter((id) => (!range.lo || id >= Number(range.lo[0])) && (!range.hi || id < Number(range.hi[0]))).sort((a, b) => a - b);
  const digest = (ids: number[]): RangeDigest => ({ count: ids.length, sum1: ids.map((id) => `${id}:${rows.get(id)}`).join(','), sum2: '' });
  const unused = () => Promise.reject(new Error('not used by the narrowing'));
  return {
    digests: async (_table, range, cuts) => {
      const edges = [range.lo, ...cuts, range.hi];
      return edges.slice(1).map((hi, i) => digest(within({ lo: edges[i], hi })));
    },
    boundaries: async (_table, range, pieces) => {
      const ids = within(range);
      const step = Math.ceil(ids.length / pieces);
      return ids.filter((_, i) => i > 0 && i % step === 0).map((id): Key => [String(id)]);
    },
    spanBoundaries: async (_table, range, pieces) => {
      const ids = within(range);
      if (ids.length === 0) return [];
      const [lo, hi] = [ids[0], ids[ids.length - 1]];
      return Array.from({ length: pieces - 1 }, (_, i) => lo + Math.floor(((hi - lo + 1) * (i + 1)) / pieces)).map((cut): Key => [String(cut)]);
    },
    rowHashes: async (_table, range) => new Map(within(range).map((id) => [keyId([String(id)]), rows.get(id)!])),
    rowHashesOf: unused,
    close: async () => undefined,
  };
}

const ROWS = 40_000;
const options = (scanned: number[]) => ({ leafRows: 1000, splitFactor: 16, scanned: async (n: number) => void scanned.push(n) });

describe('narrowDifferences', () => {
  const source = new Map(Array.from({ length: ROWS }, (_, i) => [i + 1, `h${i + 1}`]));

  it('reads each side once when the tables are equal', async () => {
    const scanned: number[] = [];
    const found = await narrowDifferences(side(source), side(new Map(source)), TABLE, options(scanned));
    expect(found).toEqual({ rows: ROWS, candidates: [] });
    expect(scanned.reduce((a, b) => a + b, 0)).toBe(2 * ROWS);
  });

  it('finds every drifted key, reading the whole table only once on each side', async () => {
    const target = new Map(source);
    target.set(1000, 'changed');
    target.delete(2000);
    target.set(ROWS + 1, 'extra');
    target.delete(ROWS);
    const scanned: number[] = [];
    const found = await narrowDifferences(side(source), side(target), TABLE, options(scanned));
    expect(found.rows).toBe(ROWS);
    const byKind = (kind: string) => found.candidates.filter((c) => c.kind === kind).map((c) => Number(c.key[0])).sort((a, b) => a - b);
    expect({ missing: byKind('missing'), extra: byKind('extra'), different: byKind('different') }).toEqual({ missing: [2000, ROWS], extra: [ROWS + 1], different: [1000] });
    // One pass cut in 16, then only the drifted pieces (3 of 16) again: well under two passes.
    expect(scanned.reduce((a, b) => a + b, 0)).toBeLessThan(1.3 * 2 * ROWS);
  });
});
