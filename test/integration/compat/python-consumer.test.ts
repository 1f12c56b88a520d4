import { join } from 'node:path';
import { inTransaction, lsnToBigInt, type Pool } from '@paysync/postgres';
import { ALL_TYPES_DDL } from '../../support/all-types-table';
import { runBounded } from '../../support/bounded-run';
import { CaptureFixture } from '../../support/capture-fixture';
import { uniqueName } from '../../support/fixtures';
import { pythonWith } from '../../support/python-venv';
import { deleteSubjectsStartingWith, subjectsStartingWith } from '../../support/registry-subjects';
import { stackAddresses } from '../../support/stack-addresses';
import { deleteConsumerGroup } from '../../support/topic-admin';
import { readRawTopic } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';
import { allTypesRow, EXTRA_COLUMNS_DDL, PYTHON_EDGE_ROWS } from './python-edge-rows';
import { expectedPythonRows, pythonFloatText, type PyValue } from './python-forms';

jest.setTimeout(240_000);

const TABLE = 'public.all_types';
const CONFLUENT_KAFKA_VERSION = '2.16.1';
const FASTAVRO_VERSION = '1.13.1';
const PYTHON_CLIENT = {
  name: 'confluent-kafka',
  requirements: [`confluent-kafka[avro,schemaregistry]==${CONFLUENT_KAFKA_VERSION}`, `fastavro==${FASTAVRO_VERSION}`],
  probe: "import confluent_kafka, fastavro; from confluent_kafka.schema_registry.avro import AvroDeserializer; print('confluent-kafka', confluent_kafka.__version__, 'fastavro', fastavro.__version__)",
  expected: `confluent-kafka ${CONFLUENT_KAFKA_VERSION} fastavro ${FASTAVRO_VERSION}`,
};

/** One record as decode_topic.py printed it. */
interface PythonLine {
  partition: number;
  offset: number;
  headers: Record<string, string>;
  key: PyValue;
  value: PyValue;
  /** What AvroDeserializer raised for the record, which then comes decoded leniently. */
  error?: string;
  lenient?: PyValue;
}

async function decodeWithPython(python: string, topic: string, group: string): Promise<PythonLine[]> {
  const stack = stackAddresses();
  const script = join(__dirname, 'decode_topic.py');
  const args = [script, stack.PAYSYNC_TEST_KAFKA_BROKERS, stack.PAYSYNC_TEST_REGISTRY_URL, topic, group];
  const { stdout } = await runBounded('decode_topic.py', python, args, { PATH: process.env.PATH ?? '' }, 180_000);
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as PythonLine);
}

/** A committed transaction as PostgreSQL saw it: its xid, and bounds of its commit LSN and commit time. */
interface Committed {
  txId: string;
  /** The commit record starts at or after `lsnFrom` (the insert position just before COMMIT) and before `lsnTo`. */
  lsnFrom: bigint;
  lsnTo: bigint;
  startedMs: bigint;
  committedMs: bigint;
}

async function committed(pool: Pool, sql: string): Promise<Committed> {
  const inside = await inTransaction(pool, async (client) => {
    // The 32-bit xid pgoutput sends: the low half of the epoch-extended one.
    const started = await client.query<{ xid: string; ms: string }>(`SELECT (pg_current_xact_id()::text::bigint % 4294967296)::text AS xid, floor(extract(epoch FROM now()) * 1000)::text AS ms`);
    await client.query(sql);
    const before = await client.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    return { ...started.rows[0], lsnFrom: lsnToBigInt(before.rows[0].lsn) };
  });
  const after = await pool.query<{ lsn: string; ms: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn, ceil(extract(epoch FROM clock_timestamp()) * 1000)::text AS ms');
  return { txId: inside.xid, lsnFrom: inside.lsnFrom, lsnTo: lsnToBigInt(after.rows[0].lsn), startedMs: BigInt(inside.ms), committedMs: BigInt(after.rows[0].ms) };
}

async function insertLsn(pool: Pool): Promise<bigint> {
  const { rows } = await pool.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
  return lsnToBigInt(rows[0].lsn);
}

const ERRORS_OF_DATETIME = /^(OverflowError|ValueError): /;

/** Floats as comparable texts, and each refused logical value's error checked and set aside (collected in `errors`). */
function comparable(value: PyValue, errors: Set<string>): PyValue {
  if (value === null) return null;
  const [type, content] = value;
  if (type === 'float') return ['float', pythonFloatText(content as string)];
  if (type === 'list') return ['list', (content as PyValue[]).map((item) => comparable(item, errors))];
  if (type === 'dict') return ['dict', Object.fromEntries(Object.entries(content as Record<string, PyValue>).map(([k, v]) => [k, comparable(v, errors)]))];
  if (type === 'unconverted') {
    const { error, ...rest } = content as { error: string; logicalType: string };
    expect(error).toMatch(ERRORS_OF_DATETIME);
    errors.add(`${rest.logicalType}: ${error}`);
    return ['unconverted', { ...rest, error: 'raised' }];
  }
  return value;
}

const field = (value: PyValue, name: string): PyValue => (value as ['dict', Record<string, PyValue>])[1][name];
const intOf = (value: PyValue): bigint => BigInt((value as ['int', string])[1]);
/** The envelope's op, or "tombstone". */
function opOf(line: PythonLine): string {
  const envelope = line.value ?? line.lenient ?? null;
  return envelope === null ? 'tombstone' : (field(envelope, 'op') as ['str', string])[1];
}

interface ExpectedEvent {
  id: string;
  op: 'r' | 'c' | 'u' | 'd';
  before: PyValue;
  after: PyValue;
  seq: number;
  /** Streamed changes: their transaction; snapshot rows have none. */
  tx?: Committed;
}

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
    await deleteSubjectsStartingWith(`${fixture.prefix}.`);
    expect(await subjectsStartingWith(`${fixture.prefix}.`)).toEqual([]);
  });

  it('gets every column of every snapshot row, insert, update and delete exactly as PostgreSQL holds it, and the envelope', async () => {
    const { db, kafka } = fixture;
    const topic = fixture.topic(TABLE);
    const snapshotRows = await expectedPythonRows(db.pool, TABLE);
    const beforeCapture = await insertLsn(db.pool);
    const captureStartedMs = BigInt(Date.now());
    const capture = fixture.startCapture([TABLE]);
    await waitUntil('the snapshot to reach Kafka', async () => (await readRawTopic(kafka, topic)).length >= 3, 90_000);

    const inserted = await committed(db.pool, `INSERT INTO ${TABLE} VALUES ${[allTypesRow(2), allTypesRow(3), PYTHON_EDGE_ROWS[1], PYTHON_EDGE_ROWS[2]].join(', ')}`);
    const afterInsert = await expectedPythonRows(db.pool, TABLE);
    const updated = await committed(db.pool, `UPDATE ${TABLE} SET amount = amount - 0.0001, memo = memo || ' ✓', ratio = 1.5 WHERE id = 1`);
    const afterUpdate = await expectedPythonRows(db.pool, TABLE);
    const deleted = await committed(db.pool, `DELETE FROM ${TABLE} WHERE id = 2`);
    await fixture.waitCaughtUp(capture);

    const expected: ExpectedEvent[] = [
      // Snapshot rows, read in key order.
      ...['1', '2', '5'].map((id, seq) => ({ id, op: 'r' as const, before: null, after: snapshotRows.get(id) ?? null, seq })),
      ...['3', '4', '6', '7'].map((id, seq) => ({ id, op: 'c' as const, before: null, after: afterInsert.get(id) ?? null, seq, tx: inserted })),
      { id: '1', op: 'u', before: afterInsert.get('1') ?? null, after: afterUpdate.get('1') ?? null, seq: 0, tx: updated },
      { id: '2', op: 'd', before: afterUpdate.get('2') ?? null, after: null, seq: 0, tx: deleted },
    ];

    const lines = await decodeWithPython(python, topic, group);
    const inKafka = await readRawTopic(kafka, topic);
    expect(lines.map((l) => `${l.partition}:${l.offset}`).sort()).toEqual(inKafka.map((r) => `${r.partition}:${r.offset}`).sort());
    expect(lines).toHaveLength(expected.length + 1);

    const errors = new Set<string>();
    const snapshotLsns = new Set<bigint>();
    let deleteLsn: bigint | undefined;
    for (const event of expected) {
      const line = lines.find((l) => opOf(l) === event.op && intOf(field(l.key, 'id')) === BigInt(event.id));
      expect(line?.key).toEqual(['dict', { id: ['int', event.id] }]);
      const { error, lenient, value } = line as PythonLine;
      const refused = JSON.stringify([event.before, event.after]).includes('"unconverted"');
      // A record holding a value Python's datetime cannot: AvroDeserializer raises for the whole record.
      if (refused) expect(error).toMatch(ERRORS_OF_DATETIME);
      else expect(error).toBeUndefined();
      const envelope = comparable(refused ? (lenient ?? null) : value, errors);
      if (refused) expect([...errors].some((e) => e.endsWith(`: ${error}`))).toBe(true);

      const source = field(envelope, 'source');
      const lsn = intOf(field(source, 'lsn'));
      const tsMs = intOf(field(envelope, 'ts_ms'));
      const sourceTsMs = intOf(field(source, 'ts_ms'));
      if (event.tx) {
        expect(lsn >= event.tx.lsnFrom && lsn < event.tx.lsnTo).toBe(true);
        expect(sourceTsMs >= event.tx.startedMs && sourceTsMs <= event.tx.committedMs).toBe(true);
        expect(tsMs >= event.tx.startedMs).toBe(true);
      } else {
        // Just below the chunk's high watermark, written after capture started and before the first insert.
        expect(lsn >= beforeCapture && lsn < inserted.lsnFrom).toBe(true);
        snapshotLsns.add(lsn);
        expect(sourceTsMs >= captureStartedMs && tsMs >= captureStartedMs).toBe(true);
      }
      if (event.op === 'd') deleteLsn = lsn;
      expect(tsMs <= BigInt(Date.now())).toBe(true);

      expect({ id: event.id, op: event.op, envelope }).toEqual({
        id: event.id,
        op: event.op,
        envelope: [
          'dict',
          {
            before: event.before,
            after: event.after,
            op: ['str', event.op],
            source: [
              'dict',
              {
                version: ['str', '0.1.0'],
                connector: ['str', 'paysync'],
                db: ['str', db.name],
                schema: ['str', 'public'],
                table: ['str', 'all_types'],
                lsn: ['int', String(lsn)],
                seq: ['int', String(event.seq)],
                txId: event.tx ? ['int', event.tx.txId] : null,
                ts_ms: ['int', String(sourceTsMs)],
                snapshot: ['bool', event.tx ? 'False' : 'True'],
              },
            ],
            ts_ms: ['int', String(tsMs)],
            unchanged_toast: ['list', []],
          },
        ],
      });
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
