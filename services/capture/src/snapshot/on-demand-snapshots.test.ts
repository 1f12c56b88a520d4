import { createLogger } from '@paysync/observability';
import type { TableCodec } from '../stream/table-codecs';
import { OnDemandSnapshots, type OnDemandOptions } from './on-demand-snapshots';
import type { SnapshotRequest } from './snapshot-requests';
import type { CopiedChunk } from './watermark-snapshotter';

const ID = '0b9e6f3a-52c4-4d7e-9a0b-1f2e3d4c5b6a';

function request(overrides: Partial<SnapshotRequest> = {}): SnapshotRequest {
  return { id: ID, slot: 's', table: 'public.orders', predicate: "region = 'eu'", state: 'pending', lastKey: null, rowsSent: 0, error: null, requestedAt: '', finishedAt: null, ...overrides };
}

/** An OnDemandSnapshots over an in-memory request row and a copier that hands out `chunks` in turn. */
function harness(row: SnapshotRequest, chunks: (CopiedChunk | Error)[], options: Partial<OnDemandOptions> = {}) {
  const saved: { lastKey: string[] | null; rowsSent: number; done: boolean }[] = [];
  const copied: { after: string[] | null; predicate: string | null }[] = [];
  const events: string[] = [];
  let finished!: () => void;
  const settled = new Promise<void>((resolve) => (finished = resolve));
  const fatal: Error[] = [];
  let claims = 0;
  const snapshots = new OnDemandSnapshots({
    requests: {
      unfinished: async () => (row.state === 'pending' || row.state === 'running' ? [row] : []),
      claim: async (id) => (id === row.id && (row.state === 'pending' || row.state === 'running') ? (claims++, (row.state = 'running'), { ...row }) : undefined),
      saveProgress: async (_id, _claimant, lastKey, rowsSent, done) => {
        saved.push({ lastKey, rowsSent, done });
        if (done) row.state = 'done';
        return true;
      },
      fail: async (_id, _claimant, reason) => {
        row.state = 'failed';
        row.error = reason;
      },
    },
    copier: {
      copyChunk: async (_codec, after, predicate) => {
        copied.push({ after, predicate });
        const next = chunks.shift();
        if (!next) throw new Error('asked for more chunks than the test has');
        if (next instanceof Error) throw next;
        return next;
      },
    },
    codecFor: async () => ({}) as TableCodec,
    db: source(true),
    tables: ['public.orders'],
    maxRowsPerSecond: 0,
    listener: {
      held: (pending, running) => events.push(`held ${pending}/${running}`),
      rowsSent: (_table, rows) => events.push(`sent ${rows}`),
      finished: (state) => {
        events.push(state);
        finished();
      },
    },
    logger: createLogger({ service: 'test', level: 'silent' }),
    onFatal: (err) => {
      fatal.push(err);
      finished();
    },
    ...options,
  });
  return { snapshots, saved, copied, events, settled, fatal, claims: () => claims };
}

/** A source where no transaction is in progress and the request's table exists, or not. */
function source(tableExists: boolean): OnDemandOptions['db'] {
  const answers: [RegExp, Record<string, string>][] = [
    [/pg_current_xact_id/, { next: '100' }],
    [/pg_snapshot_xmin/, { ended: 't' }],
    [/to_regclass/, { found: tableExists ? 't' : 'f' }],
  ];
  return { query: async (sql: string) => ({ rows: [answers.find(([pattern]) => pattern.test(sql))![1]], rowCount: 1 }) } as unknown as OnDemandOptions['db'];
}

const chunk = (lastKey: string, read: number, sent: number, done: boolean): CopiedChunk => ({ lastKey: [lastKey], read, sent, done });

describe('OnDemandSnapshots', () => {
  it('copies a request chunk by chunk with its predicate, saving each acknowledged position, once though announced twice', async () => {
    const row = request();
    const h = harness(row, [chunk('10', 2, 2, false), chunk('20', 2, 1, false), chunk('20', 0, 0, true)]);
    await h.snapshots.resumePending();
    h.snapshots.onRequest(ID);
    await h.settled;
    expect(h.copied).toEqual([
      { after: null, predicate: "region = 'eu'" },
      { after: ['10'], predicate: "region = 'eu'" },
      { after: ['20'], predicate: "region = 'eu'" },
    ]);
    expect(h.saved).toEqual([
      { lastKey: ['10'], rowsSent: 2, done: false },
      { lastKey: ['20'], rowsSent: 3, done: false },
      { lastKey: ['20'], rowsSent: 3, done: true },
    ]);
    expect(h.claims()).toBe(1);
    expect(h.events).toEqual(['held 1/0', 'held 0/1', 'sent 2', 'sent 1', 'sent 0', 'done']);
    expect(h.fatal).toEqual([]);
  });

  it('resumes after the saved key, counting on from the saved rows', async () => {
    const h = harness(request({ state: 'running', lastKey: ['500'], rowsSent: 500 }), [chunk('600', 100, 100, true)]);
    await h.snapshots.resumePending();
    await h.settled;
    expect(h.copied[0].after).toEqual(['500']);
    expect(h.saved).toEqual([{ lastKey: ['600'], rowsSent: 600, done: true }]);
  });

  it('fails a request whose table is not captured, or whose predicate would leave its parentheses, without reading', async () => {
    for (const [row, reason] of [
      [request({ table: 'public.other' }), 'table public.other is not in PAYSYNC_TABLES of this capture'],
      [request({ predicate: 'true) OR (true' }), 'the predicate closes a parenthesis it did not open'],
    ] as const) {
      const h = harness(row, []);
      h.snapshots.onRequest(ID);
      await h.settled;
      expect({ state: row.state, error: row.error, copied: h.copied.length }).toEqual({ state: 'failed', error: reason, copied: 0 });
    }
  });

  it('fails a request whose table the source no longer has', async () => {
    const row = request();
    const h = harness(row, [], { db: source(false) });
    h.snapshots.onRequest(ID);
    await h.settled;
    expect({ state: row.state, error: row.error, copied: h.copied.length }).toEqual({ state: 'failed', error: 'table public.orders does not exist on the source any more', copied: 0 });
  });

  it('fails the request on an error PostgreSQL raises for its query, but ends the term on any other', async () => {
    const refused = Object.assign(new Error('column "regio" does not exist'), { code: '42703' });
    const refusedRow = request();
    const bad = harness(refusedRow, [refused]);
    bad.snapshots.onRequest(ID);
    await bad.settled;
    expect({ state: refusedRow.state, error: refusedRow.error, fatal: bad.fatal }).toEqual({
      state: 'failed',
      error: 'PostgreSQL refused the snapshot query: column "regio" does not exist',
      fatal: [],
    });

    const lostRow = request();
    const lost = harness(lostRow, [new Error('Connection terminated unexpectedly')]);
    lost.snapshots.onRequest(ID);
    await lost.settled;
    expect(lost.fatal.map((e) => e.message)).toEqual(['Connection terminated unexpectedly']);
    expect(lostRow.state).toBe('running'); // the next term resumes it
  });

  it('ignores a message that is not a request id, and serves nothing after stop()', async () => {
    const h = harness(request(), []);
    h.snapshots.onRequest('not an id');
    h.snapshots.stop();
    h.snapshots.onRequest(ID);
    await h.snapshots.resumePending();
    expect({ copied: h.copied.length, claims: h.claims(), events: h.events }).toEqual({ copied: 0, claims: 0, events: ['held 0/0'] });
  });

  it('throttles to the rows per second it is given', async () => {
    const h = harness(request(), [chunk('1', 50, 50, false), chunk('2', 50, 50, false), chunk('3', 0, 0, true)], { maxRowsPerSecond: 500 });
    const started = Date.now();
    h.snapshots.onRequest(ID);
    await h.settled;
    // 100 rows read before the last chunk at 500 rows/s: at least 200 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });
});
