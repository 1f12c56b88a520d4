import type { ComparedTable, Key, ReconcileSide } from '../sides/side';
import { keyId } from '../sides/side';
import { confirmPersistent } from './persistence-check';
import { caughtUp } from './pipeline-fence';

const TABLE: ComparedTable = { label: 'public.accounts', columns: [], keyColumns: [], hashed: new Set(), rowHash: 'md5' };
const KEY: Key = ['7'];

/** A side whose row hash of KEY is read from `state` at the moment of the read, with reads logged. */
function side(name: string, state: { hash: string | undefined }, reads: string[]): ReconcileSide {
  const unused = () => Promise.reject(new Error('not used by the re-checks'));
  return {
    digests: unused,
    boundaries: unused,
    spanBoundaries: unused,
    rowHashes: unused,
    rowHashesOf: async () => {
      reads.push(`${name}:${state.hash}`);
      return state.hash === undefined ? new Map() : new Map([[keyId(KEY), state.hash]]);
    },
    close: async () => undefined,
  };
}

describe('confirmPersistent', () => {
  const candidate = [{ key: KEY, kind: 'different' as const }];

  it('reports a difference that persists on a quiet row', async () => {
    const reads: string[] = [];
    const result = await confirmPersistent(side('source', { hash: 'a' }, reads), side('target', { hash: 'b' }, reads), TABLE, candidate, { delaysMs: [0, 0, 0], fence: async () => undefined });
    expect(result).toEqual({ drift: candidate, unsettled: 0 });
    // The target is read before the source in every re-check.
    expect(reads).toEqual(['target:b', 'source:a', 'target:b', 'source:a', 'target:b', 'source:a']);
  });

  it('drops a difference the pipeline delivers before a re-check', async () => {
    const target = { hash: 'old' };
    let fences = 0;
    const result = await confirmPersistent(side('source', { hash: 'new' }, []), side('target', target, []), TABLE, candidate, {
      delaysMs: [0, 0, 0],
      fence: async () => {
        if (++fences === 2) target.hash = 'new';
        return undefined;
      },
    });
    expect(result).toEqual({ drift: [], unsettled: 0 });
  });

  it('leaves a row that changed between the last two re-checks unsettled', async () => {
    const source = { hash: 's1' };
    let fences = 0;
    const result = await confirmPersistent(side('source', source, []), side('target', { hash: 't' }, []), TABLE, candidate, {
      delaysMs: [0, 0],
      fence: async () => {
        if (++fences === 2) source.hash = 's2';
        return undefined;
      },
    });
    expect(result).toEqual({ drift: [], unsettled: 1 });
  });

  it('reports nothing as drift when the fence is not passed, and says why', async () => {
    const reads: string[] = [];
    const result = await confirmPersistent(side('source', { hash: 'a' }, reads), side('target', { hash: 'b' }, reads), TABLE, candidate, {
      delaysMs: [0, 0, 0],
      fence: async () => 'apply lagging',
    });
    expect(result).toEqual({ drift: [], unsettled: 1, fenceMissed: 'apply lagging' });
    expect(reads).toEqual([]);
  });
});

describe('caughtUp', () => {
  const applied = (partition: number, nextOffset: bigint) => ({ topic: 't', partition, nextOffset, updatedMs: 0 });

  it('needs every partition applied up to its end offset', () => {
    const ends = [{ partition: 0, low: 0n, high: 10n }, { partition: 1, low: 0n, high: 5n }];
    expect(caughtUp(ends, [applied(0, 10n), applied(1, 5n)])).toBe(true);
    expect(caughtUp(ends, [applied(0, 10n), applied(1, 4n)])).toBe(false);
  });

  it('accepts a partition apply never wrote to only when it holds no record', () => {
    expect(caughtUp([{ partition: 0, low: 3n, high: 3n }], [])).toBe(true);
    expect(caughtUp([{ partition: 0, low: 0n, high: 1n }], [])).toBe(false);
  });
});
