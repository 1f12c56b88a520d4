import type { ChangeEnvelope, TableShape } from '@paysync/contract';
import type { Pgoutput } from '@paysync/postgres';
import { WATERMARK_PREFIX } from '../snapshot/watermark-snapshotter';
import { WatermarkWindows } from '../snapshot/watermark-windows';
import { ChangeProcessor, type ProcessorListener } from './change-processor';
import type { KafkaSink } from './kafka-sink';
import type { LsnAcknowledger } from './lsn-acknowledger';
import { keyText, type TableCodec, type TableCodecs } from './table-codecs';

const column = (name: string, typeName: string) => ({ name, typeName, pgType: typeName, typeOid: 0, category: 'base' as const, nullable: false });
const shape: TableShape = { schema: 'public', table: 'accounts', columns: [column('id', 'int8'), column('rev', 'int4')], primaryKey: ['id'] };

describe('ChangeProcessor snapshot versions', () => {
  it('ranks a transaction whose commit record starts right at the high watermark above the chunk copy', async () => {
    const envelopes: ChangeEnvelope[] = [];
    const codec: TableCodec = {
      table: 'public.accounts',
      shape,
      topic: 't',
      partitions: 1,
      keyColumns: ['id'],
      encodeKey: () => Buffer.alloc(0),
      encodeValue: (envelope) => (envelopes.push(envelope), Buffer.alloc(0)),
    };
    const codecs = { forShape: async () => ({ codec, changed: false }) } as unknown as TableCodecs;
    const sink = { push: async () => undefined, mark: () => undefined } as unknown as KafkaSink<() => void>;
    const listener: ProcessorListener = { event: () => undefined, committed: () => undefined, heartbeat: () => undefined, schemaChanged: () => undefined };
    const windows = new WatermarkWindows();
    const processor = new ChangeProcessor('db', codecs, async () => shape, sink, {} as LsnAcknowledger, windows, listener);
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
});
