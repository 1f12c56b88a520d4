import type { ComparedTable, Key, KeyRange, RangeDigest, ReconcileSide } from '../sides/side';

export type DriftKind = 'missing' | 'extra' | 'different';

export interface Candidate {
  key: Key;
  kind: DriftKind;
}

export interface NarrowingOptions {
  /** Ranges with at most this many rows on both sides are compared row by row. */
  leafRows: number;
  /** How many sub-ranges an unequal range is split into. */
  splitFactor: number;
  /** Called with the rows each digest read (both sides), for throttling and metrics. */
  scanned: (rows: number) => Promise<void>;
}

/**
 * data-diff's method: equal (count, hash sums) means an equal range; an unequal one is split at
 * keys of the side holding more rows, until small enough to list (key, row hash) from both sides.
 * Each split is digested piece by piece in one query per side.
 */
export async function narrowDifferences(source: ReconcileSide, target: ReconcileSide, table: ComparedTable, options: NarrowingOptions): Promise<{ rows: number; candidates: Candidate[] }> {
  const candidates: Candidate[] = [];
  /** Digests the pieces of `range` cut at `cuts` on both sides and narrows each unequal one; the source's rows. */
  const visitPieces = async (range: KeyRange, cuts: Key[]): Promise<number> => {
    const [s, t] = await Promise.all([source.digests(table, range, cuts), target.digests(table, range, cuts)]);
    const sourceRows = s.reduce((n, d) => n + d.count, 0);
    await options.scanned(sourceRows + t.reduce((n, d) => n + d.count, 0));
    const ranges = pieces(range, cuts);
    for (const [i, piece] of ranges.entries()) {
      if (!sameDigest(s[i], t[i])) await narrow(piece, s[i], t[i]);
    }
    return sourceRows;
  };
  const narrow = async (range: KeyRange, s: RangeDigest, t: RangeDigest): Promise<void> => {
    const cuts = Math.max(s.count, t.count) <= options.leafRows ? [] : await (s.count >= t.count ? source : target).boundaries(table, range, options.splitFactor);
    if (cuts.length === 0) candidates.push(...(await compareRows(source, target, table, range)));
    else await visitPieces(range, cuts);
  };
  // The first pass is already cut when that is cheap (an integer key: min and max from the index):
  // with drift, its pieces need no second pass over the whole table; equal tables pay a GROUP BY
  // (about 10% more than one digest, measured). Other keys are digested whole first.
  const rows = await visitPieces({}, await source.spanBoundaries(table, {}, options.splitFactor));
  return { rows, candidates };
}

const sameDigest = (a: RangeDigest, b: RangeDigest): boolean => a.count === b.count && a.sum1 === b.sum1 && a.sum2 === b.sum2;

function pieces(range: KeyRange, cuts: Key[]): KeyRange[] {
  const edges: (Key | undefined)[] = [range.lo, ...cuts, range.hi];
  return edges.slice(1).map((hi, i) => ({ lo: edges[i], hi }));
}

async function compareRows(source: ReconcileSide, target: ReconcileSide, table: ComparedTable, range: KeyRange): Promise<Candidate[]> {
  const [s, t] = await Promise.all([source.rowHashes(table, range), target.rowHashes(table, range)]);
  return classify(s, t);
}

/** Keys in the source only are missing, in the target only extra, in both with other hashes different. */
export function classify(source: Map<string, string>, target: Map<string, string>, only?: Iterable<string>): Candidate[] {
  const ids = only ? [...only] : [...new Set([...source.keys(), ...target.keys()])];
  const out: Candidate[] = [];
  for (const id of ids) {
    const s = source.get(id);
    const t = target.get(id);
    if (s === t) continue;
    const kind: DriftKind = t === undefined ? 'missing' : s === undefined ? 'extra' : 'different';
    out.push({ key: JSON.parse(id) as Key, kind });
  }
  return out;
}

