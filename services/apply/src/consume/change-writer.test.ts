import type { RecordDecoder } from '../changes/record-decoder';
import type { RowChange, SourceTable } from '../changes/row-change';
import type { DeadLetter } from '../dead-letter/dead-letter-writer';
import type { TableNames } from '../targets/table-names';
import type { ResolvedTable, Target, TargetTransaction } from '../targets/target';
import { ChangeWriter, TargetRefusedRow } from './change-writer';

const refused = { code: '42501', message: 'permission denied for table transfers' };
const badRow = { code: '23514', message: 'new row violates check constraint' };
const source = { schema: 'public', table: 'transfers' } as SourceTable;
const table = { source, label: 'public.transfers' } as unknown as ResolvedTable;
const change = { kind: 'row', table: source, offset: 7n, rowKey: '["1"]', row: {}, key: {}, unchanged: [] } as unknown as RowChange;
const batch = { topic: 't', partition: 0, records: [{ offset: 7n, key: null, value: Buffer.from('v') }], firstOffset: 7n, lastOffset: 7n };

function writerOver(error: unknown): { writer: ChangeWriter; tx: TargetTransaction; names: TableNames } {
  const target = {
    isTransient: () => false,
    privilegeProblem: (err: unknown) => (err === refused ? { problem: 'no INSERT', fix: 'GRANT INSERT' } : undefined),
  } as unknown as Target;
  const tx = {
    applyRows: async () => Promise.reject(error),
    savepoint: async () => undefined,
    rollbackToSavepoint: async () => undefined,
  } as unknown as TargetTransaction;
  const names = { resolve: async () => Promise.reject(error) } as unknown as TableNames;
  return { writer: new ChangeWriter(target, {} as RecordDecoder, names), tx, names };
}

describe('ChangeWriter', () => {
  it('dead-letters a row the target refuses as bad data, one by one', async () => {
    const { writer, tx } = writerOver(badRow);
    const tables = new Map([[source, table]]);
    await expect(writer.write(tx, [change], tables, [], batch, false)).rejects.toBeInstanceOf(TargetRefusedRow);
    const letters: DeadLetter[] = [];
    await writer.write(tx, [change], tables, letters, batch, true);
    expect(letters.map((l) => l.offset)).toEqual([7n]);
  });

  it('never dead-letters a write refused for lack of privilege: the error goes up, so apply stops', async () => {
    const { writer, tx } = writerOver(refused);
    const tables = new Map([[source, table]]);
    const letters: DeadLetter[] = [];
    await expect(writer.write(tx, [change], tables, letters, batch, false)).rejects.toBe(refused);
    await expect(writer.write(tx, [change], tables, letters, batch, true)).rejects.toBe(refused);
    expect(letters).toEqual([]);
  });

  it('never dead-letters the records of a table whose creation is refused for lack of privilege', async () => {
    const { writer } = writerOver(refused);
    await expect(writer.resolveTables([{ offset: 7n, change, marker: false }], batch)).rejects.toBe(refused);
    const { writer: other } = writerOver(badRow);
    const decoded = [{ offset: 7n, change, marker: false } as { offset: bigint; change?: RowChange; letter?: DeadLetter; marker: boolean }];
    await other.resolveTables(decoded, batch);
    expect(decoded[0].letter?.reason).toContain('check constraint');
  });
});
