import type { Change } from '../changes/row-change';
import type { DeadLetterWriter } from '../dead-letter/dead-letter-writer';
import type { Target, TargetTransaction } from '../targets/target';
import type { ChangeWriter, DecodedRecord } from './change-writer';
import { TransactionalApplier } from './transactional-applier';

describe('TransactionalApplier', () => {
  it('keeps a source transaction without its commit marker open across batches, and rolls it back on release (shutdown)', async () => {
    const calls: string[] = [];
    const tx = {
      lockOffset: async () => 0n,
      savepoint: async () => undefined,
      releaseSavepoint: async () => undefined,
      rollback: async () => void calls.push('rollback'),
      commit: async () => void calls.push('commit'),
    } as unknown as TargetTransaction;
    const target = { begin: async () => (calls.push('begin'), tx) } as unknown as Target;
    const change = { table: { schema: 'public', table: 'accounts' } } as unknown as Change;
    const decoded: DecodedRecord[] = [{ offset: 0n, change, marker: false }];
    const writer = { decode: async () => decoded, resolveTables: async () => new Map(), write: async () => ({ applied: [], stale: 0 }), recordConflicts: async () => undefined } as unknown as ChangeWriter;
    const applier = new TransactionalApplier('group', target, writer, {} as DeadLetterWriter, () => true);

    await applier.apply({ topic: 'paysync.transactions', partition: 0, records: [], firstOffset: 0n, lastOffset: 0n });
    expect(calls).toEqual(['begin']);
    await applier.release();
    expect(calls).toEqual(['begin', 'rollback']);
  });
});
