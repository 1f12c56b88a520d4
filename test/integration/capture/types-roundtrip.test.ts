import { CaptureFixture, stableJson } from '../../support/capture-fixture';
import type { PaysyncProcess } from '../../support/paysync-process';
import { waitUntil } from '../../support/wait';
import { readTopic } from '../../support/topic-reader';
import { ALL_TYPES_DDL, ALL_TYPES_ROWS } from '../../support/all-types-table';

jest.setTimeout(180_000);

const TABLE = 'public.all_types';

describe('capture: every contract type round-trips exactly from a source row to a decoded Kafka record', () => {
  let fixture: CaptureFixture;
  let capture: PaysyncProcess;

  beforeAll(async () => {
    fixture = await CaptureFixture.create([
      ...ALL_TYPES_DDL(TABLE),
      // Two rows exist before capture starts: they arrive through the snapshot (op r).
      `INSERT INTO ${TABLE} VALUES ${ALL_TYPES_ROWS.slice(0, 2).join(', ')}`,
    ]);
  });
  afterAll(() => fixture.cleanup());

  it('carries snapshot and streamed rows of every type, and NULL in each, exactly', async () => {
    capture = fixture.startCapture([TABLE]);
    await waitUntil('the snapshot to reach Kafka', async () => (await readTopic(fixture.kafka, fixture.topic(TABLE))).length >= 2, 90_000);
    // Two more rows and changes arrive through the WAL stream.
    await fixture.db.pool.query(`INSERT INTO ${TABLE} VALUES ${ALL_TYPES_ROWS.slice(2).join(', ')}`);
    await fixture.db.pool.query(`UPDATE ${TABLE} SET amount = amount - 0.0001, memo = memo || ' ✓' WHERE id = 1`);
    await fixture.db.pool.query(`DELETE FROM ${TABLE} WHERE id = 2`);
    await fixture.waitCaughtUp(capture);

    const { records, newest } = await fixture.expectTopicEqualsSource(TABLE);
    const ops = records.map((r) => r.value?.op ?? 'tombstone');
    expect(ops.filter((o) => o === 'r')).toHaveLength(2);
    expect(ops.filter((o) => o === 'c')).toHaveLength(2);
    expect(ops).toContain('u');
    expect(ops).toContain('d');
    expect(ops).toContain('tombstone');

    const row1 = newest.get(stableJson({ id: 1n }))?.after;
    expect(row1).toMatchObject({ amount: '9999999999999999.9998', free_numeric: '123456789012345678901234567890.123456789', price: '92233720368547758.07' });
    expect(row1?.at).toBe('2024-02-29T18:29:59.999999Z');
    const row3 = newest.get(stableJson({ id: 3n }))?.after;
    expect(row3).toMatchObject({ amount: '0.0001', tod: '24:00:00.000000', counts: [-2147483648, 2147483647] });
    const row4 = newest.get(stableJson({ id: 4n }))?.after;
    expect(Object.entries(row4 ?? {}).filter(([k]) => k !== 'id').every(([, v]) => v === null)).toBe(true);
  });
});
