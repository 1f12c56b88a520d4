import { parseSnapshotRequestId } from './snapshot-request';

describe('parseSnapshotRequestId', () => {
  it('takes a UUID and refuses anything else', () => {
    expect(parseSnapshotRequestId('0b9e6f3a-52c4-4d7e-9a0b-1f2e3d4c5b6a')).toBe('0b9e6f3a-52c4-4d7e-9a0b-1f2e3d4c5b6a');
    expect(parseSnapshotRequestId('42; DROP TABLE x')).toBeInstanceOf(Error);
    expect(parseSnapshotRequestId('')).toBeInstanceOf(Error);
  });
});
