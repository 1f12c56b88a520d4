import { setImmediate as nextLoopTurn } from 'node:timers/promises';

/** Records decoded between two turns of the event loop: a few milliseconds of work. */
const SLICE_RECORDS = 500;

/**
 * The batches of partitions applied together decode one after another, in the order they came,
 * each in slices that let the event loop handle the target's replies in between. So the first
 * batch's statements run in the target while the next batch decodes, where decoding all batches
 * together left the target idle until every one was decoded, and then the process idle while the
 * target wrote them all (a replay kept each core about half busy).
 */
export class DecodeTurns {
  private last: Promise<void> = Promise.resolve();

  /** Runs `decode` once the batches before it are decoded; it awaits `breather(i)` before its i-th record. */
  async inTurn<T>(decode: () => Promise<T>): Promise<T> {
    const before = this.last;
    let done!: () => void;
    this.last = new Promise((resolve) => (done = resolve));
    await before;
    try {
      return await decode();
    } finally {
      done();
    }
  }

  /** A turn of the event loop every SLICE_RECORDS records, else nothing to wait for. */
  static breather(index: number): Promise<void> | undefined {
    return index > 0 && index % SLICE_RECORDS === 0 ? nextLoopTurn() : undefined;
  }
}
