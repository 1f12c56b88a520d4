import { CaptureFixture, stableJson } from '../../support/capture-fixture';
import type { PaysyncProcess } from '../../support/paysync-process';
import { waitUntil } from '../../support/wait';
import { readTopic } from '../../support/topic-reader';

jest.setTimeout(180_000);

const TABLE = 'public.all_types';

const edgeRows = [
  `(1, '9999999999999999.9999', '123456789012345678901234567890.123456789', '92233720368547758.07', '2024-02-29 23:59:59.999999+05:30',
    '1999-12-31 23:59:59.000001', '2024-02-29', '23:59:59.999999', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50, "x"], "b": null}',
    '\\x00ff10', 'Grüße 💸 ñ "quoted" \\ back', '{"a,b","c\\"d",NULL,"NULL"}', '{1.10,-2.25}', '{1,NULL,3}', 'settled')`,
  `(2, '-1234567890123456.7891', '-0.000000000000000000001', '-1.23', '1970-01-01 00:00:00+00', '0001-01-01 00:00:00', '1900-01-01',
    '00:00:00', '00000000-0000-0000-0000-000000000000', '[]', '\\x', '', '{}', '{}', '{}', 'pending')`,
  `(3, '0.0001', '5', '0.00', '9999-12-31 23:59:59.999999+00', '2038-01-19 03:14:08', '9999-12-31', '24:00:00',
    'ffffffff-ffff-ffff-ffff-ffffffffffff', '{"deep": {"x": [true, false, null]}}', '\\xdeadbeef', 'ascii', '{x}', '{0.01}', '{-2147483648,2147483647}', 'refunded')`,
  `(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
];

describe('capture: every contract type round-trips exactly from a source row to a decoded Kafka record', () => {
  let fixture: CaptureFixture;
  let capture: PaysyncProcess;

  beforeAll(async () => {
    fixture = await CaptureFixture.create([
      `CREATE TYPE payment_status AS ENUM ('pending', 'settled', 'refunded')`,
      `CREATE TABLE ${TABLE} (
        id bigint PRIMARY KEY, amount numeric(20,4), free_numeric numeric, price money, at timestamptz, local_at timestamp,
        day date, tod time, ref uuid, doc jsonb, blob bytea, memo text, tags text[], amounts numeric(10,2)[], counts integer[],
        status payment_status)`,
      // Two rows exist before capture starts: they arrive through the snapshot (op r).
      `INSERT INTO ${TABLE} VALUES ${edgeRows.slice(0, 2).join(', ')}`,
    ]);
  });
  afterAll(() => fixture.cleanup());

  it('carries snapshot and streamed rows of every type, and NULL in each, exactly', async () => {
    capture = fixture.startCapture([TABLE]);
    await waitUntil('the snapshot to reach Kafka', async () => (await readTopic(fixture.kafka, fixture.topic(TABLE))).length >= 2, 90_000);
    // Two more rows and changes arrive through the WAL stream.
    await fixture.db.pool.query(`INSERT INTO ${TABLE} VALUES ${edgeRows.slice(2).join(', ')}`);
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
