import type { RawRecord } from '../changes/record-decoder';
import type { Change } from '../changes/row-change';
import type { DeadLetterWriter } from '../dead-letter/dead-letter-writer';
import type { Target, TargetTransaction } from '../targets/target';
import { BatchApplier } from './batch-applier';
import type { ChangeWriter, PartitionBatch } from './change-writer';
import { RewindRequired, TransactionalApplier } from './transactional-applier';

const TOPIC = 'paysync.transactions';

/** A target holding only apply's offsets: a transaction's saved offset lands at its commit. */
function offsetsTarget(initial: bigint | undefined) {
  const state = { stored: initial, begun: 0 };
  const target = {
    begin: async () => {
      state.begun += 1;
      let saved: bigint | undefined;
      return {
        lockOffset: async () => state.stored ?? 0n,
        saveOffset: async (_group: string, _topic: string, _partition: number, next: bigint) => void (saved = next),
        savepoint: async () => undefined,
        releaseSavepoint: async () => undefined,
        commit: async () => void (state.stored = saved ?? state.stored),
        rollback: async () => undefined,
      } as unknown as TargetTransaction;
    },
  } as unknown as Target;
  return { target, state };
}

/** Decodes a record with a value as a change, one with neither key nor value as a source commit marker. */
const writer = {
  decode: async (batch: PartitionBatch) =>
    batch.records.map((r) => ({ offset: r.offset, marker: r.key === null && r.value === null, change: r.value ? ({ offset: r.offset, commitTimeMs: 0 } as unknown as Change) : undefined })),
  resolveTables: async () => new Map(),
  write: async () => ({ applied: [], stale: 0 }), recordConflicts: async () => undefined,
} as unknown as ChangeWriter;
const deadLetters = { write: async () => undefined } as unknown as DeadLetterWriter;

const change = (offset: bigint): RawRecord => ({ offset, key: Buffer.from('k'), value: Buffer.from('v') });
const marker = (offset: bigint): RawRecord => ({ offset, key: null, value: null });
const tombstone = (offset: bigint): RawRecord => ({ offset, key: Buffer.from('k'), value: null });
/** One fetch from `first` to `last`: offsets without a record are Kafka's markers or aborted records. */
const fetch = (first: bigint, last: bigint, ...records: RawRecord[]): PartitionBatch => ({ topic: TOPIC, partition: 0, records, firstOffset: first, lastOffset: last });
const skipped = (first: bigint, last: bigint) => ({ topic: TOPIC, partition: 0, first, last });

describe('the stored offset is the consumer position, Kafka markers included (parallel mode)', () => {
  it('stores the offset after the fetch, past the markers that follow its last change', async () => {
    const { target, state } = offsetsTarget(undefined);
    const outcome = await new BatchApplier('g', target, writer, deadLetters).apply(fetch(0n, 3n, change(0n), change(2n)));
    expect([outcome.nextOffset, state.stored]).toEqual([4n, 4n]);
  });

  it("stops at replay's bound: the stored offset is the bound's record", async () => {
    const { target, state } = offsetsTarget(undefined);
    const outcome = await new BatchApplier('g', target, writer, deadLetters).apply(fetch(0n, 5n, change(0n), change(3n)), (c) => c.offset === 3n);
    expect([outcome.nextOffset, outcome.reachedBound, state.stored]).toEqual([3n, true, 3n]);
  });

  it('never moves back over a redelivered fetch', async () => {
    const { target, state } = offsetsTarget(10n);
    const outcome = await new BatchApplier('g', target, writer, deadLetters).apply(fetch(0n, 5n, change(0n), change(4n)));
    expect([outcome.nextOffset, outcome.redelivered, state.stored]).toEqual([10n, 2, 10n]);
  });

  it('moves over a fetch of only markers from exactly where the target stands, else leaves it', async () => {
    const { target, state } = offsetsTarget(3n);
    const applier = new BatchApplier('g', target, writer, deadLetters);
    expect(await applier.skip(skipped(3n, 5n))).toBe(6n);
    expect(await applier.skip(skipped(8n, 9n))).toBeUndefined();
    expect(await applier.skip(skipped(2n, 4n))).toBeUndefined();
    expect(state.stored).toBe(6n);
  });

  it('counts a partition without a stored offset as standing at 0', async () => {
    const { target, state } = offsetsTarget(undefined);
    expect(await new BatchApplier('g', target, writer, deadLetters).skip(skipped(0n, 1n))).toBe(2n);
    expect(state.stored).toBe(2n);
  });
});

describe('the stored offset is the consumer position, Kafka markers included (transactional mode)', () => {
  const applierOver = (target: Target) => new TransactionalApplier('g', target, writer, deadLetters, () => true);

  it('commits past the markers that follow the fetch’s last source commit', async () => {
    const { target, state } = offsetsTarget(undefined);
    const outcome = await applierOver(target).apply(fetch(0n, 2n, change(0n), marker(1n)));
    expect([outcome.nextOffset, state.stored]).toEqual([3n, 3n]);
  });

  it('keeps a source transaction open across fetches: markers inside it are read into it, the stored offset stays where it begins', async () => {
    const { target, state } = offsetsTarget(undefined);
    const applier = applierOver(target);
    // Offset 2 is Kafka's marker after the first source commit; 4, 5 and 6 markers or aborted records.
    const first = await applier.apply(fetch(0n, 4n, change(0n), marker(1n), change(3n)));
    expect([first.nextOffset, state.stored]).toEqual([2n, 2n]);
    const begun = state.begun;
    expect(await applier.skip(skipped(5n, 6n))).toBeUndefined();
    expect(state.begun).toBe(begun);
    const second = await applier.apply(fetch(7n, 9n, change(7n), marker(8n)));
    expect([second.nextOffset, state.stored]).toEqual([10n, 10n]);
  });

  it('rewinds to the stored offset when a fetch begins past the open transaction', async () => {
    const { target } = offsetsTarget(undefined);
    const applier = applierOver(target);
    await applier.apply(fetch(0n, 0n, change(0n)));
    const err = await applier.apply(fetch(3n, 4n, marker(4n))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RewindRequired);
    expect((err as RewindRequired).offset).toBe(0n);
  });

  it('with nothing open, moves over a fetch of only markers from exactly where the target stands', async () => {
    const { target, state } = offsetsTarget(3n);
    const applier = applierOver(target);
    expect(await applier.skip(skipped(3n, 5n))).toBe(6n);
    expect(await applier.skip(skipped(8n, 9n))).toBeUndefined();
    expect(state.stored).toBe(6n);
  });

  it('moves over records after the last source commit that hold no change, leaving nothing open', async () => {
    const { target, state } = offsetsTarget(undefined);
    const applier = applierOver(target);
    const outcome = await applier.apply(fetch(0n, 3n, change(0n), marker(1n), tombstone(2n)));
    expect([outcome.nextOffset, state.stored]).toEqual([4n, 4n]);
    expect(await applier.skip(skipped(4n, 4n))).toBe(5n);
  });

  it("stops at the last source commit before replay's bound", async () => {
    const { target, state } = offsetsTarget(undefined);
    const outcome = await applierOver(target).apply(fetch(0n, 4n, change(0n), marker(1n), change(3n)), (c) => c.offset === 3n);
    expect([outcome.nextOffset, outcome.reachedBound, state.stored]).toEqual([2n, true, 2n]);
  });
});
