import { parseSnapshotFlags } from './snapshot-flags';

describe('parseSnapshotFlags', () => {
  it('reads --table, --where and --wait in both spellings', () => {
    expect(parseSnapshotFlags(['--table', 'public.orders'])).toEqual({ table: 'public.orders', where: null, wait: false });
    expect(parseSnapshotFlags(['--table=public.orders', '--where', "region = 'eu'", '--wait'])).toEqual({ table: 'public.orders', where: "region = 'eu'", wait: true });
    expect(parseSnapshotFlags(['--where=a=b', '--table', 't.x'])).toEqual({ table: 't.x', where: 'a=b', wait: false });
  });

  it('says what is wrong', () => {
    expect(parseSnapshotFlags([])).toBe('--table schema.table is required');
    expect(parseSnapshotFlags(['--table'])).toBe('--table needs a value');
    expect(parseSnapshotFlags(['--table', 'a.b', '--table', 'c.d'])).toBe('--table is given twice');
    expect(parseSnapshotFlags(['--table', 'a.b', '--force'])).toMatch(/^unknown argument "--force"/);
  });
});
