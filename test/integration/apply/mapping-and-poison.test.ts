import { deadLetterTopic } from '@paysync/contract';
import type { ComparedTable } from '../../../demo/compare-rows';
import { waitTargetsEqual, type AppliedTarget } from '../../support/applied-targets';
import { useAppliedSource } from '../../support/applied-source';
import { httpAddressOf, sampleValue, scrapeMetrics } from '../../support/metrics-scrape';
import { readRawTopic, type RawRecord } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';

jest.setTimeout(240_000);

const ITEMS = 'public.items';
const EVENTS = 'public.events';
const ITEMS_COMPARED: ComparedTable = { name: ITEMS, key: 'id', columns: { id: 'int', name: 'text' } };
const EVENTS_COMPARED: ComparedTable = { name: EVENTS, key: 'id', columns: { id: 'int', at: 'timestamptz', code: 'text' } };
/** Where PAYSYNC_TABLE_MAPPING puts public.items on each target. */
const MAPPED = { postgres: 'replica.items_copy', mysql: 'items_copy' };

const nameOn = (target: AppliedTarget, table: ComparedTable) => {
  if (table.name === ITEMS) return MAPPED[target.kind];
  return target.kind === 'postgres' ? table.name : table.name.split('.')[1];
};

describe('apply: table mapping and poison rows that decode fine, into PostgreSQL and MariaDB', () => {
  const pipeline = useAppliedSource(
    [
      `CREATE TABLE ${ITEMS} (id bigint PRIMARY KEY, name text NOT NULL)`,
      `INSERT INTO ${ITEMS} SELECT g, 'item ' || g FROM generate_series(1, 5) g`,
      `CREATE TABLE ${EVENTS} (id bigint PRIMARY KEY, at timestamptz NOT NULL, code text NOT NULL)`,
      `INSERT INTO ${EVENTS} SELECT g, '2026-01-01 00:00:00+00'::timestamptz + g * interval '1 hour', 'ok' FROM generate_series(1, 3) g`,
    ],
    [ITEMS, EVENTS],
    (kind) => ({ PAYSYNC_TABLE_MAPPING: `${ITEMS}=${MAPPED[kind]}` }),
  );

  it('writes a mapped table under its mapped name only', async () => {
    const { source, capture, targets } = pipeline;
    await source.db.pool.query(`UPDATE ${ITEMS} SET name = 'renamed' WHERE id = 2`);
    await source.db.pool.query(`INSERT INTO ${ITEMS} VALUES (6, 'item 6')`);
    await waitTargetsEqual(source, capture, targets, [ITEMS_COMPARED], nameOn);
    const [pg, my] = [pipeline.target('postgres'), pipeline.target('mysql')];
    expect(await pg.db.query(`SELECT to_regclass('public.items')::text AS unmapped, to_regclass('replica.items_copy')::text AS mapped`)).toEqual([{ unmapped: null, mapped: 'replica.items_copy' }]);
    expect(await my.db.query(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'items%'`)).toEqual([{ t: 'items_copy' }]);
  });

  it('dead-letters a value the target cannot hold and a constraint violation, with the original bytes, and applies what follows', async () => {
    const { source, capture, targets } = pipeline;
    await waitTargetsEqual(source, capture, targets, [EVENTS_COMPARED], nameOn);
    // The target refuses what the source allows: a CHECK constraint and a unique index added on the target only.
    for (const { db } of targets) {
      const table = db.kind === 'postgres' ? EVENTS : 'events';
      await db.query(`ALTER TABLE ${table} ADD CONSTRAINT no_bad_code CHECK (code <> 'bad')`);
      await db.query(`CREATE UNIQUE INDEX events_at_unique ON ${table} (at)`);
    }
    await source.db.pool.query(`INSERT INTO ${EVENTS} VALUES (10, '2026-02-01 00:00:00+00', 'bad')`);
    // Year 1 fits PostgreSQL, not MariaDB's DATETIME (years 1000-9999).
    await source.db.pool.query(`INSERT INTO ${EVENTS} VALUES (11, '0001-01-01 00:00:00+00', 'ancient')`);
    // The time of row 1: refused by the unique index, and row 1 must stay as it is.
    await source.db.pool.query(`INSERT INTO ${EVENTS} VALUES (21, '2026-01-01 01:00:00+00', 'same time as 1')`);
    await source.db.pool.query(`INSERT INTO ${EVENTS} SELECT g, '2026-03-01 00:00:00+00'::timestamptz + g * interval '1 minute', 'after' FROM generate_series(12, 20) g`);
    await source.waitCaughtUp(capture);

    const expectedIds = { postgres: [1, 2, 3, 11, ...range(12, 20)], mysql: [1, 2, 3, ...range(12, 20)] };
    const sourceRecords = await readRawTopic(source.kafka, source.topic(EVENTS));
    for (const target of targets) {
      const table = nameOn(target, EVENTS_COMPARED);
      await waitUntil(() => `${target.kind}: rows after the poison ones; apply said:\n${target.apply.output().slice(-3000)}`, async () => {
        const rows = await target.db.query(`SELECT id FROM ${table} ORDER BY id`);
        return JSON.stringify(rows.map((r) => Number(r.id))) === JSON.stringify(expectedIds[target.kind]);
      }, 120_000, 500);
      expect(target.apply.child.exitCode).toBeNull();

      const letters = await readRawTopic(source.kafka, deadLetterTopic(source.prefix, target.groupId));
      const reasons = letters.map((l) => l.headers['paysync.error.reason']);
      const expected = [/target refused the row: .*no_bad_code/, /target refused the row: .*(events_at_unique|unique index)/];
      if (target.kind === 'mysql') expected.push(/DATETIME cannot hold 0001-01-01/);
      expect(reasons).toHaveLength(expected.length);
      expect(reasons).toEqual(expect.arrayContaining(expected.map((e) => expect.stringMatching(e))));
      const [first] = await target.db.query(`SELECT code FROM ${table} WHERE id = 1`);
      expect(first).toEqual({ code: 'ok' });
      // Byte for byte the record of the table topic the header names.
      for (const letter of letters) {
        expect(letter.headers['paysync.source.topic']).toBe(source.topic(EVENTS));
        const original = sourceRecords.find((r) => String(r.partition) === letter.headers['paysync.source.partition'] && r.offset === letter.headers['paysync.source.offset']);
        expect(bytes(letter)).toEqual(bytes(original));
      }
      const metrics = await scrapeMetrics(httpAddressOf(target.apply, 'apply running'));
      expect(sampleValue(metrics, 'paysync_apply_dead_letters_total', { topic: source.topic(EVENTS) })).toBe(letters.length);
    }
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function bytes(record: RawRecord | undefined): { key?: string; value?: string } {
  return { key: record?.key?.toString('hex'), value: record?.value?.toString('hex') };
}
