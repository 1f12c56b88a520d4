import { WatermarkWindows, type ChunkRow } from './watermark-windows';

const row = (k: string): ChunkRow => ({ keyText: k, raw: { id: k } });

describe('WatermarkWindows', () => {
  it('drops from the chunk exactly the keys changed between the watermarks', async () => {
    const windows = new WatermarkWindows();
    const emitted: { lsn: string; keys: string[] }[] = [];
    const w = windows.register({ id: 'w1', table: 'public.a', onHighWatermark: async (lsn, rows) => void emitted.push({ lsn, keys: rows.map((r) => r.keyText) }) });
    windows.touched('public.a', '["1"]'); // before the low watermark: the chunk's copy is newer, keep it
    windows.lowWatermark('w1');
    w.rows = [row('["1"]'), row('["2"]'), row('["3"]')];
    windows.touched('public.a', '["2"]');
    windows.touched('public.b', '["3"]'); // another table
    await windows.highWatermark('w1', '0/10');
    windows.touched('public.a', '["3"]'); // after: the streamed change is newer anyway
    expect(emitted).toEqual([{ lsn: '0/10', keys: ['["1"]', '["3"]'] }]);
  });

  it('drops the whole chunk when the table was truncated in the window, and ignores unknown ids', async () => {
    const windows = new WatermarkWindows();
    const emitted: number[] = [];
    const w = windows.register({ id: 'w2', table: 'public.a', onHighWatermark: async (_lsn, rows) => void emitted.push(rows.length) });
    windows.lowWatermark('w2');
    w.rows = [row('["1"]')];
    windows.truncated('public.a');
    await windows.highWatermark('other', '0/1');
    await windows.highWatermark('w2', '0/2');
    expect(emitted).toEqual([0]);
  });
});
