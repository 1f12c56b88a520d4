import { ALL_TYPES_DDL } from '../../support/all-types-table';
import { CaptureFixture } from '../../support/capture-fixture';
import { uniqueName } from '../../support/fixtures';
import { pythonWith } from '../../support/python-venv';
import { deleteConsumerGroup } from '../../support/topic-admin';
import { readRawTopic } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';
import { expectEnvelope, type EventContext, type ExpectedEvent } from './expected-envelope';
import { comparable, decodeWithPython, ERRORS_OF_DATETIME, field, intOf, opOf, PYTHON_CLIENT, type PythonLine } from './python-decode';
import { allTypesRow, EXTRA_COLUMNS_DDL, PYTHON_EDGE_ROWS } from './python-edge-rows';
import { expectedPythonRows } from './python-forms';
import { committed, insertLsn } from './source-transactions';

jest.setTimeout(240_000);

const TABLE = 'public.all_types';

describe('compat: a Python consumer (confluent-kafka AvroDeserializer, fastavro) decodes every event of a table topic exactly', () => {
  let fixture: CaptureFixture;
  let python: string;
  const group = uniqueName('paysync-compat-python');

  beforeAll(async () => {
    // On a fresh clone pip installs the client first (a minute or so); later runs find it.
    python = await pythonWith(PYTHON_CLIENT);
    fixture = await CaptureFixture.create([
      ...ALL_TYPES_DDL(TABLE),
      EXTRA_COLUMNS_DDL(TABLE),
      // Whole before-images for updates and deletes: every column is checked there too.
      `ALTER TABLE ${TABLE} REPLICA IDENTITY FULL`,
      `INSERT INTO ${TABLE} VALUES ${[allTypesRow(0), allTypesRow(1), PYTHON_EDGE_ROWS[0]].join(', ')}`,
    ]);
  }, 25 * 60_000);

  afterAll(async () => {
    if (!fixture) return;
    await deleteConsumerGroup(fixture.kafka, group);
    await fixture.cleanup();
  });

  it('gets every column of every snapshot row, insert, update and delete exactly as PostgreSQL holds it, and every envelope field', async () => {
    const { db, kafka } = fixture;
    const topic = fixture.topic(TABLE);
    const snapshotRows = await expectedPythonRows(db.pool, TABLE);
    const beforeCapture = await insertLsn(db.pool);
    const captureStartedUs = BigInt(Date.now()) * 1000n;
    const capture = fixture.startCapture([TABLE]);
    await waitUntil('the snapshot to reach Kafka', async () => (await readRawTopic(kafka, topic)).length >= 3, 90_000);

    const inserted = await committed(db.pool, `INSERT INTO ${TABLE} VALUES ${[allTypesRow(2), allTypesRow(3), PYTHON_EDGE_ROWS[1], PYTHON_EDGE_ROWS[2]].join(', ')}`);
    const afterInsert = await expectedPythonRows(db.pool, TABLE);
    const updated = await committed(db.pool, `UPDATE ${TABLE} SET amount = amount - 0.0001, memo = memo || ' ✓', ratio = 0.1 WHERE id = 1`);
    const afterUpdate = await expectedPythonRows(db.pool, TABLE);
    const deleted = await committed(db.pool, `DELETE FROM ${TABLE} WHERE id = 2`);
    await fixture.waitCaughtUp(capture);

    const row = (rows: typeof snapshotRows, id: string) => rows.get(id) ?? null;
    const expected: ExpectedEvent[] = [
      // Snapshot rows, read in key order.
      ...['1', '2', '5'].map((id, seq) => ({ id, op: 'r' as const, before: null, after: row(snapshotRows, id), seq })),
      // The first transaction capture sees commit: no transaction before it in the source database's stream.
      ...['3', '4', '6', '7'].map((id, seq) => ({ id, op: 'c' as const, before: null, after: row(afterInsert, id), seq, tx: inserted, previousTx: null })),
      { id: '1', op: 'u', before: row(afterInsert, '1'), after: row(afterUpdate, '1'), seq: 0, tx: updated, previousTx: inserted },
      { id: '2', op: 'd', before: row(afterUpdate, '2'), after: null, seq: 0, tx: deleted, previousTx: updated },
    ];

    const lines = await decodeWithPython(python, topic, group);
    const inKafka = await readRawTopic(kafka, topic);
    expect(lines.map((l) => `${l.partition}:${l.offset}`).sort()).toEqual(inKafka.map((r) => `${r.partition}:${r.offset}`).sort());
    expect(lines).toHaveLength(expected.length + 1);

    const errors = new Set<string>();
    const context: EventContext = { database: db.name, prefix: fixture.prefix, snapshotLsns: { from: beforeCapture, to: inserted.lsnFrom }, captureStartedUs, seen: new Map() };
    const snapshotLsns = new Set<bigint>();
    let deleteLsn: bigint | undefined;
    for (const event of expected) {
      const line = lines.find((l) => opOf(l) === event.op && intOf(field(l.key, 'id')) === BigInt(event.id));
      expect(line?.key).toEqual(['dict', { id: ['int', event.id] }]);
      const { error, lenient, value } = line as PythonLine;
      // A record holding a value Python's datetime cannot: AvroDeserializer raises for the whole record.
      const refused = JSON.stringify([event.before, event.after]).includes('"unconverted"');
      if (refused) expect(error).toMatch(ERRORS_OF_DATETIME);
      else expect(error).toBeUndefined();
      const envelope = comparable(refused ? (lenient ?? null) : value, errors);
      if (refused) expect([...errors].some((e) => e.endsWith(`: ${error}`))).toBe(true);

      const lsn = expectEnvelope(envelope, event, context);
      if (!event.tx) snapshotLsns.add(lsn);
      if (event.op === 'd') deleteLsn = lsn;
    }
    // The snapshot was one chunk: one version LSN, seq 0..2 in key order.
    expect(snapshotLsns.size).toBe(1);

    // The delete's tombstone: the key, no value, the delete's version in its headers.
    const tombstone = lines.find((l) => opOf(l) === 'tombstone');
    expect(tombstone?.key).toEqual(['dict', { id: ['int', '2'] }]);
    expect(tombstone?.headers['paysync.lsn']).toBe(String(deleteLsn));

    // What a Python consumer meets: fastavro's readers refuse infinity, BC and 5-digit years (all
    // three temporal types) and 24:00:00; each error is the record's whole decode failing.
    expect([...new Set([...errors].map((e) => e.split(':')[0]))].sort()).toEqual(['int-date', 'long-local-timestamp-micros', 'long-time-micros', 'long-timestamp-micros']);
  });
});
