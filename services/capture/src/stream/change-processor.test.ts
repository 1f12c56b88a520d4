import { REREAD_REQUEST_PREFIX, SNAPSHOT_REQUEST_PREFIX, type ChangeEnvelope, type TableShape } from '@paysync/contract';
import { UNCHANGED_TOAST, type Pgoutput } from '@paysync/postgres';
import { WATERMARK_PREFIX } from '../snapshot/watermark-snapshotter';
import { WatermarkWindows } from '../snapshot/watermark-windows';
import { ChangeProcessor, type ProcessorListener } from './change-processor';
import type { KafkaSink } from './kafka-sink';
import type { LsnAcknowledger } from './lsn-acknowledger';
import { keyText, type TableCodec, type TableCodecs } from './table-codecs';

const column = (name: string, typeName: string) => ({ name, typeName, pgType: typeName, typeOid: 0, category: 'base' as const, nullable: false });
const shape: TableShape = { schema: 'public', table: 'accounts', columns: [column('id', 'int8'), column('rev', 'int4')], primaryKey: ['id'] };

/** A codec of `shape` whose value encoder records each envelope it encodes. */
function recordingCodec(envelopes: ChangeEnvelope[]): TableCodec {
  return {
    table: 'public.accounts',
    shape,
    sourceShape: shape,
    mask: (raw) => raw,
    topic: 't',
    partitions: 1,
    keyColumns: ['id'],
    encodeKey: () => Buffer.alloc(0),
    encodeValue: (envelope) => (envelopes.push(envelope), Buffer.from('v')),
    valueSchemaId: 1,
    truncateKey: Buffer.from('t'),
  };
}

describe('ChangeProcessor snapshot versions', () => {
  it('ranks a transaction whose commit record starts right at the high watermark above the chunk copy', async () => {
    const envelopes: ChangeEnvelope[] = [];
    const codec = recordingCodec(envelopes);
    const codecs = { forShape: async () => ({ codec, changed: false }) } as unknown as TableCodecs;
    const sink = { push: async () => undefined, mark: () => undefined } as unknown as KafkaSink<() => void>;
    const listener: ProcessorListener = { event: () => undefined, committed: () => undefined, heartbeat: () => undefined, schemaChanged: () => undefined, skippedAppliedChange: () => undefined };
    const windows = new WatermarkWindows();
    const processor = new ChangeProcessor({ database: 'db', name: 'pay' }, codecs, async () => shape, sink, {} as LsnAcknowledger, windows, listener);
    const message = (m: object) => m as unknown as Pgoutput.Message;
    const watermark = (edge: string) => message({ tag: 'message', prefix: WATERMARK_PREFIX, content: Buffer.from(JSON.stringify({ id: 'w', edge })) });

    await processor.onMessage('0/10', message({ tag: 'relation', relationOid: 1 }));
    const window = windows.register({ id: 'w', table: codec.table, onHighWatermark: (lsn, rows) => processor.emitSnapshotRows(codec, lsn, rows) });
    await processor.onMessage('0/100', watermark('low'));
    // Read while a transaction had already updated row 2 (rev 10) but not committed: the copy is stale.
    window.rows = ['1', '2'].map((id) => ({ keyText: keyText(codec, { id }), raw: { id, rev: '9' } }));
    // A logical message's LSN is the end of its record: the commit record written next starts there.
    await processor.onMessage('0/200', watermark('high'));
    await processor.onMessage('0/200', message({ tag: 'begin', commitLsn: '0/200', xid: 7, commitTime: 0n }));
    await processor.onMessage('0/200', message({ tag: 'update', relation: { relationOid: 1 }, key: null, old: null, new: { id: '2', rev: '10' } }));
    await processor.onMessage('0/230', message({ tag: 'commit', commitEndLsn: '0/230' }));

    const ofRow2 = envelopes.filter((e) => e.after?.id === 2n);
    expect(ofRow2.map((e) => e.op)).toEqual(['r', 'u']);
    const [copy, update] = ofRow2.map((e) => e.source);
    expect(copy.seq).toBeGreaterThan(update.seq);
    expect(copy.lsn).toBeLessThan(update.lsn); // so the version (lsn, seq) of the update is newer
  });

  it('serves a re-read request: asked keys the table lacks become deletes with tombstones, unless the stream touched them in the window', async () => {
    const envelopes: ChangeEnvelope[] = [];
    const pushed: { value: Buffer | null }[] = [];
    const codec = recordingCodec(envelopes);
    const codecs = { forShape: async () => ({ codec, changed: false }) } as unknown as TableCodecs;
    const sink = { push: async (_topic: string, m: { value: Buffer | null }) => void pushed.push(m), mark: () => undefined } as unknown as KafkaSink<() => void>;
    const listener: ProcessorListener = { event: () => undefined, committed: () => undefined, heartbeat: () => undefined, schemaChanged: () => undefined, skippedAppliedChange: () => undefined };
    const requests: unknown[] = [];
    const windows = new WatermarkWindows();
    const processor = new ChangeProcessor({ database: 'db', name: 'pay' }, codecs, async () => shape, sink, {} as LsnAcknowledger, windows, listener, undefined, (r) => requests.push(r));
    const message = (m: object) => m as unknown as Pgoutput.Message;
    const logical = (prefix: string, content: object) => message({ tag: 'message', prefix, content: Buffer.from(JSON.stringify(content)) });

    await processor.onMessage('0/10', message({ tag: 'relation', relationOid: 1 }));
    await processor.onMessage('0/20', logical(REREAD_REQUEST_PREFIX, { table: 'public.accounts', keys: [['1'], ['3'], ['4']] }));
    expect(requests).toEqual([{ table: 'public.accounts', keys: [['1'], ['3'], ['4']] }]);

    const window = windows.register({ id: 'w', table: codec.table, onHighWatermark: (lsn, rows, absent) => processor.emitSnapshotRows(codec, lsn, rows, absent) });
    await processor.onMessage('0/100', logical(WATERMARK_PREFIX, { id: 'w', edge: 'low' }));
    window.rows = [{ keyText: keyText(codec, { id: '1' }), raw: { id: '1', rev: '5' } }];
    window.absent = ['3', '4'].map((id) => ({ keyText: keyText(codec, { id }), raw: { id, rev: null } }));
    // Key 4 is inserted inside the window: that insert is newer than the read that missed it.
    await processor.onMessage('0/150', message({ tag: 'begin', commitLsn: '0/150', xid: 8, commitTime: 0n }));
    await processor.onMessage('0/150', message({ tag: 'insert', relation: { relationOid: 1 }, new: { id: '4', rev: '1' } }));
    await processor.onMessage('0/160', message({ tag: 'commit', commitEndLsn: '0/160' }));
    await processor.onMessage('0/200', logical(WATERMARK_PREFIX, { id: 'w', edge: 'high' }));

    const reread = envelopes.filter((e) => e.source.snapshot === 'incremental');
    expect(reread.map((e) => [e.op, e.after?.id ?? e.before?.id])).toEqual([['r', 1n], ['d', 3n]]);
    expect(pushed[pushed.length - 1].value).toBeNull(); // the delete's tombstone
  });

  it('passes a malformed re-read request on as an error instead of failing the stream', async () => {
    const requests: unknown[] = [];
    const processor = new ChangeProcessor({ database: 'db', name: 'pay' }, {} as TableCodecs, async () => shape, { mark: () => undefined } as unknown as KafkaSink<() => void>, {} as LsnAcknowledger, new WatermarkWindows(), {} as ProcessorListener, undefined, (r) => requests.push(r));
    await processor.onMessage('0/20', { tag: 'message', prefix: REREAD_REQUEST_PREFIX, content: Buffer.from('{"table": 5}') } as unknown as Pgoutput.Message);
    expect(requests).toEqual([expect.any(Error)]);
  });

  it('hands a snapshot request message on as its content, placing no mark inside its transaction', async () => {
    const contents: string[] = [];
    const marks: unknown[] = [];
    const sink = { mark: (m: unknown) => void marks.push(m) } as unknown as KafkaSink<() => void>;
    const processor = new ChangeProcessor({ database: 'db', name: 'pay' }, {} as TableCodecs, async () => shape, sink, {} as LsnAcknowledger, new WatermarkWindows(), {} as ProcessorListener, undefined, undefined, (c) => contents.push(c));
    await processor.onMessage('0/20', { tag: 'message', prefix: SNAPSHOT_REQUEST_PREFIX, content: Buffer.from('0b9e6f3a-52c4-4d7e-9a0b-1f2e3d4c5b6a') } as unknown as Pgoutput.Message);
    expect({ contents, marks: marks.length }).toEqual({ contents: ['0b9e6f3a-52c4-4d7e-9a0b-1f2e3d4c5b6a'], marks: 0 });
  });
});

describe('ChangeProcessor envelope: Debezium fields', () => {
  async function streamed(messages: [string, object][]): Promise<ChangeEnvelope[]> {
    const envelopes: ChangeEnvelope[] = [];
    const codec = recordingCodec(envelopes);
    const codecs = { forShape: async () => ({ codec, changed: false }) } as unknown as TableCodecs;
    const sink = { push: async () => undefined, mark: () => undefined } as unknown as KafkaSink<() => void>;
    const listener: ProcessorListener = { event: () => undefined, committed: () => undefined, heartbeat: () => undefined, schemaChanged: () => undefined, skippedAppliedChange: () => undefined };
    const processor = new ChangeProcessor({ database: 'db', name: 'pay' }, codecs, async () => shape, sink, {} as LsnAcknowledger, new WatermarkWindows(), listener);
    await processor.onMessage('0/10', { tag: 'relation', relationOid: 1 } as unknown as Pgoutput.Message);
    for (const [lsn, m] of messages) await processor.onMessage(lsn, m as unknown as Pgoutput.Message);
    return envelopes;
  }
  const relation = { relationOid: 1 };

  it('gives each change Debezium\'s sequence, transaction block, snapshot marker and microsecond times', async () => {
    const [first, second, third] = await streamed([
      ['0/100', { tag: 'begin', commitLsn: '0/100', xid: 7, commitTime: 1700000000123456n }],
      ['0/100', { tag: 'insert', relation, new: { id: '1', rev: '1' } }],
      ['0/130', { tag: 'commit', commitEndLsn: '0/130' }],
      ['0/200', { tag: 'begin', commitLsn: '0/200', xid: 8, commitTime: 1700000000999999n }],
      ['0/180', { tag: 'insert', relation, new: { id: '2', rev: '1' } }],
      ['0/190', { tag: 'insert', relation, new: { id: '3', rev: '1' } }],
      ['0/230', { tag: 'commit', commitEndLsn: '0/230' }],
    ]);
    expect(first.source).toMatchObject({ name: 'pay', db: 'db', snapshot: 'false', sequence: '[null,"256"]', ts_ms: 1700000000123n, ts_us: 1700000000123456n, ts_ns: 1700000000123456000n, xmin: null });
    expect(first.transaction).toEqual({ id: '7:256', total_order: 1n, data_collection_order: 1n });
    // The previous transaction's commit LSN, then the event's own position.
    expect(second.source.sequence).toBe('["256","384"]');
    expect(third.transaction).toEqual({ id: '8:512', total_order: 2n, data_collection_order: 2n });
    expect(third.ts_us! / 1000n).toBe(third.ts_ms);
  });

  it('fills an unchanged TOAST column from a full before image (REPLICA IDENTITY FULL), and lists it otherwise', async () => {
    const [full, keyOnly] = await streamed([
      ['0/100', { tag: 'begin', commitLsn: '0/100', xid: 7, commitTime: 0n }],
      ['0/100', { tag: 'update', relation, key: null, old: { id: '1', rev: '4' }, new: { id: '1', rev: UNCHANGED_TOAST } }],
      ['0/110', { tag: 'update', relation, key: null, old: null, new: { id: '2', rev: UNCHANGED_TOAST } }],
      ['0/130', { tag: 'commit', commitEndLsn: '0/130' }],
    ]);
    expect({ after: full.after, unchanged: full.unchanged_toast }).toEqual({ after: { id: 1n, rev: 4 }, unchanged: [] });
    expect({ after: keyOnly.after, unchanged: keyOnly.unchanged_toast }).toEqual({ after: { id: 2n, rev: null }, unchanged: ['rev'] });
  });
});


describe('ChangeProcessor with PAYSYNC_SKIP_APPLIED_CHANGES', () => {
  /** One transaction of an insert, an update, a delete and a truncate, under `originName` when given. */
  async function streamedTransaction(skipAppliedChanges: boolean, originName?: string) {
    const envelopes: ChangeEnvelope[] = [];
    const pushed: string[] = [];
    const marks: (() => void)[] = [];
    const skipped: string[] = [];
    const safe: string[] = [];
    const codec = recordingCodec(envelopes);
    const codecs = { forShape: async () => ({ codec, changed: false }) } as unknown as TableCodecs;
    const sink = { push: async (topic: string) => void pushed.push(topic), mark: (m: () => void) => void marks.push(m) } as unknown as KafkaSink<() => void>;
    const acknowledger = { safeUpTo: (lsn: string) => void safe.push(lsn) } as unknown as LsnAcknowledger;
    const listener: ProcessorListener = { event: () => undefined, committed: () => undefined, heartbeat: () => undefined, schemaChanged: () => undefined, skippedAppliedChange: (table) => void skipped.push(table) };
    const windows = new WatermarkWindows();
    // A snapshot chunk of the table is being read: its window must hear of every key the transaction changes.
    windows.register({ id: 'chunk', table: 'public.accounts', onHighWatermark: async () => undefined });
    windows.lowWatermark('chunk');
    const touched = jest.spyOn(windows, 'touched');
    const truncated = jest.spyOn(windows, 'truncated');
    const processor = new ChangeProcessor({ database: 'db', name: 'pay' }, codecs, async () => shape, sink, acknowledger, windows, listener, 'pay.transactions', undefined, undefined, skipAppliedChanges);
    const relation = { relationOid: 1 };
    const messages: [string, object][] = [
      ['0/100', { tag: 'begin', commitLsn: '0/100', xid: 7, commitTime: 0n }],
      ...(originName ? [['0/100', { tag: 'origin', originLsn: null, originName }] as [string, object]] : []),
      ['0/100', { tag: 'relation', relationOid: 1 }],
      ['0/100', { tag: 'insert', relation, new: { id: '1', rev: '1' } }],
      ['0/110', { tag: 'update', relation, key: null, old: { id: '1', rev: '1' }, new: { id: '1', rev: '2' } }],
      ['0/120', { tag: 'delete', relation, key: null, old: { id: '1', rev: '2' } }],
      ['0/130', { tag: 'truncate', relations: [relation] }],
      ['0/140', { tag: 'commit', commitEndLsn: '0/150' }],
    ];
    for (const [lsn, m] of messages) await processor.onMessage(lsn, m as unknown as Pgoutput.Message);
    marks.forEach((mark) => mark());
    return { ops: envelopes.map((e) => e.op), pushed, skipped, safe, touched: touched.mock.calls.length, truncated: truncated.mock.calls.length };
  }

  it('emits nothing of a transaction paysync apply wrote, yet still marks its commit and tells the snapshot windows', async () => {
    expect(await streamedTransaction(true, 'paysync.apply.grp.0')).toEqual({
      ops: [],
      pushed: [],
      skipped: ['public.accounts', 'public.accounts', 'public.accounts', 'public.accounts'],
      safe: ['0/150'],
      touched: 3,
      truncated: 1,
    });
  });

  it.each([
    ['no origin', undefined],
    ['a PostgreSQL subscription\'s origin', 'pg_16384'],
  ])('emits a transaction with %s as before', async (_what, originName) => {
    const streamed = await streamedTransaction(true, originName);
    expect({ ops: streamed.ops, skipped: streamed.skipped, safe: streamed.safe }).toEqual({ ops: ['c', 'u', 'd', 't'], skipped: [], safe: ['0/150'] });
    // Table topic with a tombstone after the delete, each copied to the transaction topic, then its commit marker.
    expect(streamed.pushed.filter((t) => t === 'pay.transactions')).toHaveLength(5);
  });

  it('emits a transaction paysync apply wrote when the setting is off (cascades)', async () => {
    const streamed = await streamedTransaction(false, 'paysync.apply.grp.0');
    expect({ ops: streamed.ops, skipped: streamed.skipped }).toEqual({ ops: ['c', 'u', 'd', 't'], skipped: [] });
  });
});
