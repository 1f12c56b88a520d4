import type { Pool } from '@paysync/postgres';
import type { TableCodec } from '../stream/table-codecs';
import type { SnapshotProgress } from './snapshot-progress';
import { WatermarkSnapshotter, type SnapshotEmitter } from './watermark-snapshotter';
import { WatermarkWindows } from './watermark-windows';

const codec = { table: 'public.orders', keyColumns: ['id'], sourceShape: { schema: 'public', table: 'orders' } } as unknown as TableCodec;

interface Ack {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * A snapshotter over a table of ids 1..5 read two a chunk. The fake source answers the watermark
 * and in-progress-transaction queries, and plays the stream: each high watermark closes its
 * window a turn later. Kafka's acknowledgements are left to the test, one per chunk, in `acks`.
 */
function harness() {
  const events: string[] = [];
  const acks: Ack[] = [];
  const windows = new WatermarkWindows();
  const answer = (rows: Record<string, string>[]) => ({ rows, rowCount: rows.length });
  const db = {
    query: async (sql: string, params: string[] = []) => {
      if (/pg_current_xact_id/.test(sql)) return answer([{ next: '1' }]);
      if (/pg_snapshot_xmin/.test(sql)) return answer([{ ended: 't' }]);
      const { id, edge } = JSON.parse(params[1]) as { id: string; edge: 'low' | 'high' };
      if (edge === 'low') windows.lowWatermark(id);
      else setImmediate(() => void windows.highWatermark(id, '0/1'));
      return answer([]);
    },
    connect: async () => ({
      release: () => undefined,
      query: async (sql: string, params: string[] = []) => {
        if (!sql.startsWith('SELECT')) return answer([]);
        const after = params.length > 1 ? Number(params[0]) : 0;
        events.push(`read after ${after}`);
        return answer([after + 1, after + 2].filter((id) => id <= 5).map((id) => ({ id: String(id) })));
      },
    }),
  } as unknown as Pool;
  const emitter: SnapshotEmitter = {
    emitSnapshotRows: async (_codec, _lsn, rows) => void events.push(`pushed ${rows.map((r) => r.raw.id).join(',')}`),
    acknowledged: () => new Promise<void>((resolve, reject) => acks.push({ resolve, reject })),
  };
  const progress = { save: async ({ lastKey, rows, done }) => void events.push(`saved ${lastKey} ${rows}${done ? ' done' : ''}`) } as Pick<SnapshotProgress, 'save'>;
  const listener = { chunkDone: (_table: string, rows: number) => void events.push(`chunk of ${rows}`), tableDone: () => void events.push('table done') };
  const snapshotter = new WatermarkSnapshotter(db, windows, progress as SnapshotProgress, emitter, listener, 2);
  return { snapshotter, events, acks };
}

/** Lets the fakes run until `check` holds. */
async function until(check: () => boolean): Promise<void> {
  for (let turns = 0; !check(); turns++) {
    if (turns > 1000) throw new Error('the awaited state never came');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Lets the fakes run a while, to show that something does not happen. */
const aWhile = () => until(() => true).then(() => new Promise((resolve) => setTimeout(resolve, 20)));

describe('WatermarkSnapshotter.snapshotTable', () => {
  it('reads the next chunk while the previous one awaits its acknowledgement, one chunk ahead at most', async () => {
    const h = harness();
    const copy = h.snapshotter.snapshotTable(codec, undefined);
    await until(() => h.events.includes('pushed 3,4'));
    await aWhile();
    // Chunk 1 is not acknowledged: chunk 2 was read and pushed, chunk 3 waits, nothing is saved.
    expect(h.events).toEqual(['read after 0', 'pushed 1,2', 'read after 2', 'pushed 3,4']);
    h.acks[0].resolve();
    await until(() => h.events.includes('pushed 5'));
    h.acks[1].resolve();
    h.acks[2].resolve();
    await copy;
    expect(h.events).toEqual([
      'read after 0',
      'pushed 1,2',
      'read after 2',
      'pushed 3,4',
      'saved 2 2',
      'chunk of 2',
      'read after 4',
      'pushed 5',
      'saved 4 4',
      'chunk of 2',
      'saved 5 5 done',
      'chunk of 1',
      'table done',
    ]);
  });

  it('saves each chunk only once it is acknowledged, in chunk order', async () => {
    const h = harness();
    const copy = h.snapshotter.snapshotTable(codec, { table: codec.table, lastKey: ['2'], rows: 2, done: false });
    await until(() => h.acks.length === 2);
    // The later chunk's acknowledgement first (the sink never does so): nothing may be saved yet.
    h.acks[1].resolve();
    await aWhile();
    expect(h.events.filter((e) => e.startsWith('saved'))).toEqual([]);
    h.acks[0].resolve();
    await copy;
    expect(h.events.filter((e) => e.startsWith('saved'))).toEqual(['saved 4 4', 'saved 5 5 done']);
  });

  it('saves nothing for a chunk whose acknowledgement failed, nor for any later one, and rejects', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const h = harness();
      const copy = h.snapshotter.snapshotTable(codec, undefined);
      await until(() => h.events.includes('read after 2'));
      h.acks[0].reject(new Error('the Kafka sink was stopped'));
      await expect(copy).rejects.toThrow('the Kafka sink was stopped');
      await until(() => h.acks.length === 2);
      h.acks[1].reject(new Error('the Kafka sink was stopped'));
      await aWhile();
      expect(h.events).toEqual(['read after 0', 'pushed 1,2', 'read after 2', 'pushed 3,4']);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
