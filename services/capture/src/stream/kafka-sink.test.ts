import { HELD_MESSAGE_OVERHEAD_BYTES, KafkaAckTimeout, KafkaSink } from './kafka-sink';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const msg = (n: number, size = 10) => ({ key: Buffer.from(String(n)), value: Buffer.alloc(size) });

describe('KafkaSink', () => {
  it('reports a mark only after every message pushed before it is acknowledged, in order', async () => {
    const sends: ReturnType<typeof deferred>[] = [];
    const acked: string[] = [];
    const sink = new KafkaSink<string>(
      () => {
        const done = deferred();
        sends.push(done);
        return done.promise;
      },
      (marks) => acked.push(...marks),
      { maxInFlightBytes: 1e6, maxBatchBytes: 1e6, maxBatchMessages: 1e6, lingerMs: 5 },
    );
    await sink.push('t', msg(1));
    sink.mark('tx1');
    await new Promise((r) => setTimeout(r, 20)); // linger closes and sends batch 1
    await sink.push('t', msg(2));
    sink.mark('tx2');
    await new Promise((r) => setTimeout(r, 20)); // batch 2 closed, waiting behind batch 1
    expect(sends).toHaveLength(1);
    expect(acked).toEqual([]);
    sends[0].resolve();
    await new Promise((r) => setTimeout(r, 5));
    expect(acked).toEqual(['tx1']);
    expect(sends).toHaveLength(2);
    sends[1].resolve();
    await sink.flush();
    expect(acked).toEqual(['tx1', 'tx2']);
  });

  it('retries a failed batch in place and never reports its mark before it succeeds', async () => {
    let calls = 0;
    const acked: number[] = [];
    const errors: number[] = [];
    const sink = new KafkaSink<number>(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('broker down');
      },
      (marks) => acked.push(...marks),
      { maxInFlightBytes: 1e6, maxBatchBytes: 1e6, maxBatchMessages: 1e6, lingerMs: 1, retryBackoffMs: () => 1, onSendError: (_e, attempt) => errors.push(attempt) },
    );
    await sink.push('t', msg(1));
    sink.mark(7);
    await sink.flush();
    expect(calls).toBe(3);
    expect(errors).toEqual([1, 2]);
    expect(acked).toEqual([7]);
  });

  it('makes push wait while unacknowledged bytes are over the bound (backpressure)', async () => {
    const gate = deferred();
    // Two messages fit under the bound, a third goes over it.
    const bound = 2 * (101 + HELD_MESSAGE_OVERHEAD_BYTES) + 50;
    const sink = new KafkaSink<number>(() => gate.promise, () => undefined, { maxInFlightBytes: bound, maxBatchBytes: 1e6, maxBatchMessages: 1e6, lingerMs: 1000 });
    expect(sink.push('t', msg(1, 100))).toBeUndefined(); // taken at once: no promise to wait for
    expect(sink.push('t', msg(2, 100))).toBeUndefined();
    let released = false;
    const waiting = sink.push('t', msg(3, 100));
    expect(waiting).toBeInstanceOf(Promise);
    const third = (waiting as Promise<void>).then(() => {
      released = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(released).toBe(false);
    expect(sink.unacknowledgedBytes).toBeGreaterThan(bound);
    gate.resolve();
    await third;
    expect(released).toBe(true);
    await sink.flush();
    expect(sink.unacknowledgedBytes).toBe(0);
  });

  it('sends a batch holding only marks without calling Kafka', async () => {
    const send = jest.fn(async () => undefined);
    const acked: string[] = [];
    const sink = new KafkaSink<string>(send, (m) => acked.push(...m), { maxInFlightBytes: 1e6, maxBatchBytes: 1e6, maxBatchMessages: 1e6, lingerMs: 1 });
    sink.mark('heartbeat');
    await sink.flush();
    expect(send).not.toHaveBeenCalled();
    expect(acked).toEqual(['heartbeat']);
  });

  it('closes a batch at the message limit', async () => {
    const sizes: number[] = [];
    const sink = new KafkaSink<string>(
      async (batch) => sizes.push(batch.reduce((n, t) => n + t.messages.length, 0)),
      () => undefined,
      { maxInFlightBytes: 1e6, maxBatchBytes: 1e6, maxBatchMessages: 3, lingerMs: 1000 },
    );
    for (let n = 0; n < 7; n++) await sink.push('t', msg(n));
    await sink.flush();
    expect(sizes).toEqual([3, 3, 1]);
  });
  it('sends the batches queued behind a send together, within the batch limits, and reports their marks in order', async () => {
    const sends: { sizes: Record<string, number[]>; done: ReturnType<typeof deferred> }[] = [];
    const acked: string[] = [];
    const sink = new KafkaSink<string>(
      (batch) => {
        const done = deferred();
        sends.push({ sizes: Object.fromEntries(batch.map((t) => [t.topic, t.messages.map((m) => Number(String(m.key)))])), done });
        return done.promise;
      },
      (marks) => acked.push(...marks),
      { maxInFlightBytes: 1e6, maxBatchBytes: 1e6, maxBatchMessages: 4, lingerMs: 1000 },
    );
    await sink.push('a', msg(1));
    sink.mark('tx1');
    const first = sink.flush(); // batch 1 goes out and stays unacknowledged
    for (const [n, topic] of [[2, 'a'], [3, 'b'], [4, 'a'], [5, 'b'], [6, 'a']] as const) {
      await sink.push(topic, msg(n));
      sink.mark(`tx${n}`);
      void sink.flush(); // each closes a batch of one message, queued behind batch 1
    }
    expect(sends).toHaveLength(1);
    sends[0].done.resolve();
    await first;
    await new Promise((r) => setTimeout(r, 5));
    // Four queued batches fit the limit of 4 messages: one send, each topic in push order.
    expect(sends).toHaveLength(2);
    expect(sends[1].sizes).toEqual({ a: [2, 4], b: [3, 5] });
    expect(acked).toEqual(['tx1']);
    sends[1].done.resolve();
    await new Promise((r) => setTimeout(r, 5));
    expect(acked).toEqual(['tx1', 'tx2', 'tx3', 'tx4', 'tx5']);
    expect(sends).toHaveLength(3);
    expect(sends[2].sizes).toEqual({ a: [6] });
    sends[2].done.resolve();
    await sink.flush();
    expect(acked).toEqual(['tx1', 'tx2', 'tx3', 'tx4', 'tx5', 'tx6']);
    expect(sink.unacknowledgedBytes).toBe(0);
  });
});

describe('KafkaSink.flush', () => {
  it('waits only for what was pushed before it, not for later pushes', async () => {
    const gates: (() => void)[] = [];
    const sink = new KafkaSink<string>(() => new Promise<void>((resolve) => gates.push(resolve)), () => undefined, { maxInFlightBytes: 1e6, maxBatchBytes: 1e6, maxBatchMessages: 1e6, lingerMs: 1 });
    await sink.push('t', msg(1));
    const flushed = sink.flush();
    await sink.push('t', msg(2)); // pushed after the flush call: a later batch
    await new Promise((r) => setTimeout(r, 10));
    let done = false;
    void flushed.then(() => (done = true));
    gates[0]();
    await new Promise((r) => setTimeout(r, 5));
    expect(done).toBe(true); // the second batch is still unacknowledged
    gates[1]?.();
    await sink.flush();
  });

  it('stops on an error it must not retry in place: pending flushes are rejected, nothing after it is sent', async () => {
    const fenced = Object.assign(new Error('fenced'), { type: 'INVALID_PRODUCER_EPOCH' });
    let sends = 0;
    const stopped: unknown[] = [];
    const acked: string[] = [];
    const sink = new KafkaSink<string>(
      async () => {
        sends += 1;
        throw fenced;
      },
      (marks) => acked.push(...marks),
      { maxInFlightBytes: 1e6, maxBatchBytes: 1e6, maxBatchMessages: 1e6, lingerMs: 1, stopsOn: (err) => err === fenced, onStopped: (err) => stopped.push(err), retryBackoffMs: () => 1 },
    );
    await sink.push('t', msg(1));
    sink.mark('tx1');
    await expect(sink.flush()).rejects.toBe(fenced);
    expect(stopped).toEqual([fenced]);
    expect(sends).toBe(1);
    expect(acked).toEqual([]);
    await expect(sink.flush()).rejects.toBe(fenced);
  });
});

describe('KafkaSink ack timeout', () => {
  it('stops with a KafkaAckTimeout when a send is not acknowledged in time, and reports no mark', async () => {
    const stopped: unknown[] = [];
    const retries: boolean[] = [];
    const acked: string[] = [];
    const sink = new KafkaSink<string>(() => new Promise(() => undefined), (marks) => acked.push(...marks), {
      maxInFlightBytes: 1e6,
      maxBatchBytes: 1e6,
      maxBatchMessages: 1e6,
      lingerMs: 1,
      ackTimeoutMs: 30,
      onSendError: (_err, _attempt, willRetry) => retries.push(willRetry),
      onStopped: (err) => stopped.push(err),
    });
    await sink.push('t', msg(1));
    sink.mark('tx1');
    await expect(sink.flush()).rejects.toBeInstanceOf(KafkaAckTimeout);
    expect(stopped).toEqual([expect.any(KafkaAckTimeout)]);
    expect(retries).toEqual([false]);
    expect(acked).toEqual([]);
  });
});
