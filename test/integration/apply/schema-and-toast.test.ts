import type { ComparedTable } from '../../../demo/compare-rows';
import { waitTargetsEqual, type AppliedTarget } from '../../support/applied-targets';
import { useAppliedSource } from '../../support/applied-source';
import { readTopic } from '../../support/topic-reader';

jest.setTimeout(240_000);

const ITEMS = 'public.items';
const DOCS = 'public.docs';
const ITEMS_BEFORE: ComparedTable = { name: ITEMS, key: 'id', columns: { id: 'int', name: 'text' } };
const ITEMS_AFTER: ComparedTable = { name: ITEMS, key: 'id', columns: { id: 'int', name: 'text', note: 'text', amount: 'numeric' } };
const DOCS_COMPARED: ComparedTable = { name: DOCS, key: 'id', columns: { id: 'int', big: 'text', n: 'int' } };

const bareName = (target: AppliedTarget, table: ComparedTable) => (target.kind === 'postgres' ? table.name : table.name.split('.')[1]);

describe('apply: new source columns and unchanged TOAST values, into PostgreSQL and MariaDB', () => {
  const pipeline = useAppliedSource(
    [
      `CREATE TABLE ${ITEMS} (id bigint PRIMARY KEY, name text NOT NULL)`,
      `INSERT INTO ${ITEMS} SELECT g, 'item ' || g FROM generate_series(1, 3) g`,
      `CREATE TABLE ${DOCS} (id bigint PRIMARY KEY, big text, n int NOT NULL)`,
      // Stored out of line and uncompressed: an UPDATE that leaves it alone sends it as "unchanged TOAST".
      `ALTER TABLE ${DOCS} ALTER COLUMN big SET STORAGE EXTERNAL`,
    ],
    [ITEMS, DOCS],
  );

  it('adds a column the source gained while streaming, with its values', async () => {
    const { source, capture, targets } = pipeline;
    await waitTargetsEqual(source, capture, targets, [ITEMS_BEFORE], bareName);
    await source.db.pool.query(`ALTER TABLE ${ITEMS} ADD COLUMN note text, ADD COLUMN amount numeric(12,2)`);
    await source.db.pool.query(`INSERT INTO ${ITEMS} VALUES (4, 'item 4', 'a note', 12.50), (5, 'item 5', NULL, -0.01)`);
    await source.db.pool.query(`UPDATE ${ITEMS} SET note = 'noted later', amount = 1 WHERE id = 1`);
    await waitTargetsEqual(source, capture, targets, [ITEMS_AFTER], bareName);

    // Both columns exist on each target, nullable, and the rows from before the change hold NULL there.
    const [pg, my] = [pipeline.target('postgres'), pipeline.target('mysql')];
    expect(await pg.db.query(`SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'items' AND column_name IN ('note', 'amount') ORDER BY column_name`)).toEqual([
      { column_name: 'amount', data_type: 'numeric', is_nullable: 'YES' },
      { column_name: 'note', data_type: 'text', is_nullable: 'YES' },
    ]);
    expect(await my.db.query(`SELECT COLUMN_NAME AS c, COLUMN_TYPE AS t, IS_NULLABLE AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'items' AND COLUMN_NAME IN ('note', 'amount') ORDER BY COLUMN_NAME`)).toEqual([
      { c: 'amount', t: 'decimal(12,2)', n: 'YES' },
      { c: 'note', t: 'longtext', n: 'YES' },
    ]);
    for (const target of targets) expect(target.apply.child.exitCode).toBeNull();
  });

  it('keeps a large value the source sent as unchanged TOAST', async () => {
    const { source, capture, targets } = pipeline;
    await source.db.pool.query(`INSERT INTO ${DOCS} VALUES (1, repeat(md5(random()::text), 200), 1), (2, repeat(md5(random()::text), 200), 1)`);
    await waitTargetsEqual(source, capture, targets, [DOCS_COMPARED], bareName);
    // Applied in a batch of its own (the insert is in the target already): nothing in the batch carries the value.
    await source.db.pool.query(`UPDATE ${DOCS} SET n = n + 1 WHERE id = 1`);
    await waitTargetsEqual(source, capture, targets, [DOCS_COMPARED], bareName);

    const updates = (await readTopic(source.kafka, source.topic(DOCS))).filter((r) => r.value?.op === 'u');
    expect(updates.map((r) => r.value?.unchanged_toast)).toEqual([['big']]);
    for (const target of targets) {
      const [row] = await target.db.query(`SELECT length(big) AS len, n FROM ${bareName(target, DOCS_COMPARED)} WHERE id = 1`);
      expect({ kind: target.kind, len: Number(row.len), n: Number(row.n) }).toEqual({ kind: target.kind, len: 6400, n: 2 });
    }
  });

  it('sends the whole after image under REPLICA IDENTITY FULL: the unchanged value comes from the before image', async () => {
    const { source, capture, targets } = pipeline;
    await source.db.pool.query(`ALTER TABLE ${DOCS} REPLICA IDENTITY FULL`);
    await source.db.pool.query(`UPDATE ${DOCS} SET n = n + 10 WHERE id = 2`);
    await waitTargetsEqual(source, capture, targets, [DOCS_COMPARED], bareName);

    const [big] = await source.db.pool.query<{ big: string }>(`SELECT big FROM ${DOCS} WHERE id = 2`).then((r) => r.rows);
    const update = (await readTopic(source.kafka, source.topic(DOCS))).find((r) => r.value?.op === 'u' && r.value.after?.id === 2n);
    expect(update?.value).toMatchObject({ unchanged_toast: [], after: { id: 2n, big: big.big, n: 11 }, before: { id: 2n, big: big.big, n: 1 } });
  });
});

