import type { EachBatchPayload, Kafka } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';
import { ApplyLoop } from './apply-loop';
import type { BatchOutcome, PartitionApplier } from './batch-applier';
import type { PartitionBatch } from './change-writer';
import type { SkippedRecords } from './kafka-position';

/** A kafkajs consumer whose events and batches the test hands over itself. */
function fakeKafka() {
  const listeners = new Map<string, (event: { payload: unknown }) => void>();
  const handlers: { eachBatch?: (payload: EachBatchPayload) => Promise<void> } = {};
  const commits: string[] = [];
  const consumer = {
    events: { GROUP_JOIN: 'join', END_BATCH_PROCESS: 'end', FETCH: 'fetch', CRASH: 'crash' },
    connect: async () => undefined,
    subscribe: async () => undefined,
    on: (name: string, listener: (event: { payload: unknown }) => void) => void listeners.set(name, listener),
    run: async (options: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => void (handlers.eachBatch = options.eachBatch),
    commitOffsets: async (offsets: { offset: string }[]) => void commits.push(...offsets.map((o) => o.offset)),
    seek: () => undefined,
    disconnect: async () => undefined,
  };
  const admin = { connect: async () => undefined, disconnect: async () => undefined, fetchTopicOffsets: async () => [{ partition: 0, low: '4', high: '9', offset: '9' }] };
  const kafka = { consumer: () => consumer, admin: () => admin } as unknown as Kafka;
  const emit = (name: string, payload: unknown) => listeners.get(name)?.({ payload });
  /** A fetch of `t` partition 0 whose messages are `offsets`, from `first` to `last`; `stale`: a seek of the partition is pending. */
  const batch = (first: number, last: number, offsets: number[], stale = false) =>
    (handlers.eachBatch as (payload: EachBatchPayload) => Promise<void>)({
      batch: {
        topic: 't',
        partition: 0,
        highWatermark: String(last + 1),
        messages: offsets.map((o) => ({ offset: String(o), key: null, value: Buffer.from('v') })),
        firstOffset: () => String(first),
        lastOffset: () => String(last),
      },
      resolveOffset: () => undefined,
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => stale,
    } as unknown as EachBatchPayload);
  return { kafka, emit, batch, commits };
}

/** The group join that assigns `t` partition 0, and the seek to the target's offset it starts. */
async function joined(emit: (name: string, payload: unknown) => void): Promise<void> {
  emit('join', { memberAssignment: { t: [0] } });
  await new Promise((resolve) => setTimeout(resolve, 10));
}

const resolvedWithoutBatch = (first: number, last: number) => ({ topic: 't', partition: 0, batchSize: 0, firstOffset: String(first), lastOffset: String(last), highWatermark: String(last + 1) });
const outcomeAt = (nextOffset: bigint): BatchOutcome => ({ applied: [], stale: 0, nextOffset, redelivered: 0, deadLetters: 0, newestCommitTimeMs: undefined, reachedBound: false });

/** `stored`: the offset the target holds for the partition. */
async function startedLoop(applier: PartitionApplier, stored: bigint | undefined) {
  const kafka = fakeKafka();
  const reported: [bigint, bigint][] = [];
  const errors: string[] = [];
  const loop = new ApplyLoop({
    kafka: kafka.kafka,
    groupId: 'g',
    topics: ['t'],
    applier,
    logger: { error: (_fields: unknown, msg: string) => void errors.push(msg), warn: () => undefined, info: () => undefined } as unknown as Logger,
    startOffset: async () => stored,
    partitionsConcurrently: 1,
    maxBytesPerPartition: 1024,
    onBatch: (_topic, _partition, outcome, high) => void reported.push([outcome.nextOffset, high]),
    onRetry: () => undefined,
    onFetched: () => undefined,
    onConsumerCrash: () => undefined,
    brokersAway: () => false,
    stopsApply: () => false,
    onStopped: () => undefined,
  });
  await loop.start();
  return { ...kafka, loop, reported, errors };
}

describe('ApplyLoop and fetches kafkajs resolves without a batch', () => {
  it('moves the target over a fetch of only markers, reports it, and applies the next fetch only after that', async () => {
    const calls: string[] = [];
    let release = (): void => undefined;
    const applier: PartitionApplier = {
      skip: async (s: SkippedRecords) => {
        calls.push(`skip ${s.first}-${s.last}`);
        await new Promise<void>((resolve) => (release = resolve));
        return s.last + 1n;
      },
      apply: async (b: PartitionBatch) => {
        calls.push(`apply ${b.firstOffset}-${b.lastOffset}: ${b.records.map((r) => r.offset).join(',')}`);
        return outcomeAt(b.lastOffset + 1n);
      },
    };
    const { emit, batch, loop, reported, commits } = await startedLoop(applier, 5n);
    await joined(emit);
    emit('end', resolvedWithoutBatch(5, 6));
    emit('end', { ...resolvedWithoutBatch(5, 7), batchSize: 1 });
    const applied = batch(7, 9, [8]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual(['skip 5-6']);
    release();
    await applied;
    expect(calls).toEqual(['skip 5-6', 'apply 7-9: 8']);
    expect(reported).toEqual([
      [7n, 7n],
      [10n, 10n],
    ]);
    // For tooling, Kafka gets the newest offset every second, and at stop.
    expect(commits).toEqual([]);
    await loop.stop();
    expect(commits).toEqual(['10']);
  });

  it('skips from 0 where it read from the earliest offset because the target held none', async () => {
    const skips: string[] = [];
    const applier = { skip: async (s: SkippedRecords) => void skips.push(`${s.first}-${s.last}`), apply: async () => outcomeAt(0n) } as unknown as PartitionApplier;
    const { emit } = await startedLoop(applier, undefined);
    await joined(emit);
    emit('end', resolvedWithoutBatch(4, 5));
    emit('end', resolvedWithoutBatch(6, 6));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(skips).toEqual(['0-5', '6-6']);
  });

  it('skips from where the last fetch ended when compaction cleaned the offsets before a fetch of only markers', async () => {
    const skips: string[] = [];
    const applier: PartitionApplier = { skip: async (s: SkippedRecords) => void skips.push(`${s.first}-${s.last}`), apply: async (b: PartitionBatch) => outcomeAt(b.lastOffset + 1n) };
    const { emit, batch } = await startedLoop(applier, 5n);
    emit('join', { memberAssignment: { t: [0] } });
    await new Promise((resolve) => setTimeout(resolve, 10));
    await batch(5, 9, [5, 7, 9]);
    emit('end', { ...resolvedWithoutBatch(5, 9), batchSize: 3 });
    emit('end', resolvedWithoutBatch(14, 15));
    emit('end', resolvedWithoutBatch(16, 16));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(skips).toEqual(['10-15', '16-16']);
  });
});

describe('ApplyLoop at a group join', () => {
  it("applies no batch fetched before its partition was seeked to the target's offset (kafkajs fetched from Kafka's committed one)", async () => {
    const applied: string[] = [];
    const applier = { skip: async () => undefined, apply: async (b: PartitionBatch) => (applied.push(`${b.firstOffset}-${b.lastOffset}`), outcomeAt(b.lastOffset + 1n)) } as unknown as PartitionApplier;
    const { emit, batch } = await startedLoop(applier, 5n);
    await batch(9, 12, [9, 10, 11, 12]);
    await joined(emit);
    await batch(9, 12, [9, 10, 11, 12], true);
    await batch(5, 8, [5, 6, 7, 8]);
    expect(applied).toEqual(['5-8']);
  });

  it("says so when the target's offset is below the earliest record the topic holds (the records between are gone)", async () => {
    const applier = { skip: async () => undefined, apply: async () => outcomeAt(0n) } as unknown as PartitionApplier;
    const behind = await startedLoop(applier, 2n);
    behind.emit('join', { memberAssignment: { t: [0] } });
    const kept = await startedLoop(applier, 4n);
    kept.emit('join', { memberAssignment: { t: [0] } });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(behind.errors).toEqual([expect.stringMatching(/^the target's offset is below the earliest record the topic still holds/)]);
    expect(kept.errors).toEqual([]);
  });
});
