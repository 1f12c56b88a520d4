import { SettingError } from '@paysync/config';
import type { Queryable } from '@paysync/postgres';
import { planSlot } from './slot-safety';

/** A source as planSlot sees it: the slot's state and whether progress rows of the slot exist. */
function source(state: { walStatus?: string; slotFound: boolean; progressTable: boolean; progressRows: boolean }): Queryable {
  return {
    query: async (sql: string) => {
      if (sql.includes('wal_status')) {
        return { rows: [{ wal_status: state.walStatus ?? null, slot_found: state.slotFound ? 't' : 'f', progress_table: state.progressTable ? 't' : 'f' }], rowCount: 1 };
      }
      return { rows: state.progressRows ? [{ '?column?': 1 }] : [], rowCount: state.progressRows ? 1 : 0 };
    },
  } as unknown as Queryable;
}

describe('planSlot', () => {
  it('uses a healthy slot and creates a missing one at a first start', async () => {
    expect(await planSlot(source({ walStatus: 'reserved', slotFound: true, progressTable: true, progressRows: true }), 's', false)).toBe('use');
    expect(await planSlot(source({ slotFound: false, progressTable: false, progressRows: false }), 's', false)).toBe('create');
    expect(await planSlot(source({ slotFound: false, progressTable: true, progressRows: false }), 's', false)).toBe('create');
  });

  it('refuses a slot missing or lost after capturing, naming the slot and the setting', async () => {
    for (const state of [
      { slotFound: false, progressTable: true, progressRows: true },
      { walStatus: 'lost', slotFound: true, progressTable: true, progressRows: true },
      { walStatus: 'lost', slotFound: true, progressTable: false, progressRows: false },
    ]) {
      const refused = await planSlot(source(state), 'payments', false).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(SettingError);
      expect((refused as Error).message).toMatch(/^PAYSYNC_SLOT \/ PAYSYNC_RESNAPSHOT_ON_SLOT_LOSS: replication slot "payments" (is missing|was invalidated by PostgreSQL \(wal_status = lost)/);
    }
  });

  it('recreates it when told to re-snapshot', async () => {
    expect(await planSlot(source({ walStatus: 'lost', slotFound: true, progressTable: true, progressRows: true }), 's', true)).toBe('recreate');
    expect(await planSlot(source({ slotFound: false, progressTable: true, progressRows: true }), 's', true)).toBe('recreate');
  });
});
