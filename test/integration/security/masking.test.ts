import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadLetterTopic, transactionTopicName, type ChangeEnvelope } from '@paysync/contract';
import { deleteRegistrySubjectsStartingWith } from '../../../demo/stack-cleanup';
import { removeAppliedTargets, startAppliedTargets, type AppliedTarget } from '../../support/applied-targets';
import { CaptureFixture, stableJson } from '../../support/capture-fixture';
import { startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import { reconcileOnce, reconcilerEnv, type ReconcileOutcome } from '../../support/reconcile-once';
import { stackAddresses } from '../../support/stack-addresses';
import { scanTopicsFor } from '../../support/topic-leaks';
import { readRawTopic, readTopic } from '../../support/topic-reader';
import { uniqueName } from '../../support/fixtures';
import { waitUntil } from '../../support/wait';

jest.setTimeout(600_000);

const CARDS = 'public.cards';
const TOKENS = 'public.card_tokens';
const TABLES = [CARDS, TOKENS];
const HASH_KEY = randomBytes(24).toString('hex');
const MASKING = {
  PAYSYNC_COLUMN_EXCLUDE: 'public.cards.cvv,public.card_tokens.cvv',
  // card_tokens is keyed by its (hashed) PAN; its memo is hashed and TOASTed out of line.
  PAYSYNC_COLUMN_HASH: 'public.cards.pan,public.card_tokens.pan,public.card_tokens.memo',
};

/** Values no topic may hold: 16-digit PANs, cvv values, a long memo. Distinct per run. */
const pan = () => `49${Array.from({ length: 14 }, () => randomInt(10)).join('')}`;
const PANS = Array.from({ length: 12 }, pan);
const CVVS = Array.from({ length: 12 }, (_, i) => `cvv-${900 + i}`);
const MEMO = randomBytes(3000).toString('base64url');
const hmac = (text: string | null) => (text === null ? null : createHmac('sha256', Buffer.from(HASH_KEY, 'utf8')).update(text, 'utf8').digest('hex'));

const DDL = [
  `CREATE TABLE ${CARDS} (id bigint PRIMARY KEY, pan text, cvv text, holder text NOT NULL, amount numeric(12,2) NOT NULL)`,
  `ALTER TABLE ${CARDS} REPLICA IDENTITY FULL`,
  `CREATE TABLE ${TOKENS} (pan text PRIMARY KEY, cvv text, holder text NOT NULL, memo text, amount numeric(12,2) NOT NULL)`,
  `ALTER TABLE ${TOKENS} ALTER COLUMN memo SET STORAGE EXTERNAL`,
  // Snapshot rows, there before capture starts; card 4 has no PAN (NULL stays NULL).
  `INSERT INTO ${CARDS} VALUES (1, '${PANS[0]}', '${CVVS[0]}', 'Ann', 12.50), (2, '${PANS[1]}', '${CVVS[1]}', 'Bob', 99.99),
     (3, '${PANS[2]}', '${CVVS[2]}', 'Cy', 0.01), (4, NULL, '${CVVS[3]}', 'Di', 5.00)`,
  `INSERT INTO ${TOKENS} VALUES ('${PANS[3]}', '${CVVS[4]}', 'Ann', '${MEMO}', 1.00), ('${PANS[4]}', '${CVVS[5]}', 'Bob', 'short memo ${PANS[4]}', 2.00)`,
];

/** Streamed after capture started: inserts, a PAN change, a cvv-only change, a delete, a TOAST-unchanged update, a key change, the poison row. */
const STREAMED = [
  `INSERT INTO ${CARDS} VALUES (5, '${PANS[5]}', '${CVVS[6]}', 'Eve', 42.00), (6, '${PANS[6]}', '${CVVS[7]}', 'Fay', 7.77)`,
  `UPDATE ${CARDS} SET pan = '${PANS[7]}' WHERE id = 1`,
  `UPDATE ${CARDS} SET cvv = '${CVVS[8]}', holder = 'Bob B.' WHERE id = 2`,
  `DELETE FROM ${CARDS} WHERE id = 3`,
  `UPDATE ${TOKENS} SET holder = 'Ann A.' WHERE pan = '${PANS[3]}'`,
  `UPDATE ${TOKENS} SET pan = '${PANS[8]}' WHERE pan = '${PANS[4]}'`,
  `INSERT INTO ${TOKENS} VALUES ('${PANS[9]}', '${CVVS[9]}', 'Gus', NULL, 3.00)`,
  // Refused by a CHECK constraint on both targets: dead-lettered.
  `INSERT INTO ${CARDS} VALUES (9, '${PANS[10]}', '${CVVS[10]}', 'Poison', 5000.00)`,
];

const targetTable = (target: AppliedTarget, table: string) => (target.kind === 'postgres' ? table : table.split('.')[1]);

/** What a masked replica must hold: the source's rows with HMACs for hashed columns, no cvv. */
async function expectedRows(source: CaptureFixture): Promise<{ cards: string[]; tokens: string[] }> {
  const cards = await source.db.pool.query<Record<string, string | null>>(`SELECT id, pan, holder, amount FROM ${CARDS} WHERE id <> 9`);
  const tokens = await source.db.pool.query<Record<string, string | null>>(`SELECT pan, holder, memo, amount FROM ${TOKENS}`);
  return {
    cards: cards.rows.map((r) => stableJson([r.id, hmac(r.pan), r.holder, r.amount])).sort(),
    tokens: tokens.rows.map((r) => stableJson([hmac(r.pan), r.holder, hmac(r.memo), r.amount])).sort(),
  };
}

async function targetRows(target: AppliedTarget): Promise<{ cards: string[]; tokens: string[] }> {
  const text = (c: string) => (target.kind === 'postgres' ? `${c}::text` : `CAST(${c} AS CHAR)`);
  const cards = await target.db.query(`SELECT ${text('id')} AS id, pan, holder, ${text('amount')} AS amount FROM ${targetTable(target, CARDS)}`);
  const tokens = await target.db.query(`SELECT pan, holder, memo, ${text('amount')} AS amount FROM ${targetTable(target, TOKENS)}`);
  return {
    cards: cards.map((r) => stableJson([r.id, r.pan, r.holder, r.amount])).sort(),
    tokens: tokens.map((r) => stableJson([r.pan, r.holder, r.memo, r.amount])).sort(),
  };
}

async function targetColumns(target: AppliedTarget, table: string): Promise<string[]> {
  const [schema, name] = table.split('.');
  const rows = await target.db.query(
    target.kind === 'postgres'
      ? `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = '${name}' ORDER BY ordinal_position`
      : `SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '${name}' ORDER BY ORDINAL_POSITION`,
  );
  return rows.map((r) => String(r.c));
}

/** A capture with column filters and masking into a PostgreSQL and a MariaDB replica: no protected value reaches Kafka. */
describe('masking at capture: excluded and hashed columns', () => {
  let source: CaptureFixture;
  let capture: PaysyncProcess;
  let targets: AppliedTarget[] = [];
  let keyDir: string;
  let masking: Record<string, string>;
  const reconciles: ReconcileOutcome[] = [];

  const reconcile = async (target: AppliedTarget, extra: Record<string, string> = {}) => {
    const outcome = await reconcileOnce(source, target.db, target.groupId, TABLES, { ...masking, ...extra });
    reconciles.push(outcome);
    return outcome;
  };

  const waitTargetsMasked = async () => {
    await source.waitCaughtUp(capture);
    const expected = await expectedRows(source);
    for (const target of targets) {
      let last: unknown;
      await waitUntil(
        () => `${target.kind} target to hold the masked rows; expected ${JSON.stringify(expected)}, last ${JSON.stringify(last)}; apply said:\n${target.apply.output().slice(-3000)}`,
        async () => stableJson((last = await targetRows(target))) === stableJson(expected),
        120_000,
        500,
      );
    }
  };

  beforeAll(async () => {
    keyDir = mkdtempSync(join(tmpdir(), 'paysync-hash-key-'));
    writeFileSync(join(keyDir, 'key'), `${HASH_KEY}\n`, { mode: 0o600 });
    masking = { ...MASKING, PAYSYNC_COLUMN_HASH_KEY_FILE: join(keyDir, 'key') };
    source = await CaptureFixture.create(DDL);
    capture = await source.startCaptureStreaming(TABLES, { ...masking, PAYSYNC_TRANSACTION_TOPIC: 'true' });
    targets = await startAppliedTargets(source, TABLES);
  });

  afterAll(async () => {
    await removeAppliedTargets(targets);
    await source?.cleanup();
    if (source) await deleteRegistrySubjectsStartingWith(stackAddresses().PAYSYNC_TEST_REGISTRY_URL, `${source.prefix}.`);
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  it('sends HMACs and never the protected values, through snapshot, stream, dead letters and repair; the masked replicas reconcile', async () => {
    await waitTargetsMasked();
    for (const target of targets) {
      expect(await targetColumns(target, CARDS)).toEqual(['id', 'pan', 'holder', 'amount']);
      expect(await targetColumns(target, TOKENS)).toEqual(['pan', 'holder', 'memo', 'amount']);
      await target.db.query(`ALTER TABLE ${targetTable(target, CARDS)} ADD CONSTRAINT small_amounts CHECK (amount < 1000)`);
    }
    for (const statement of STREAMED) await source.db.pool.query(statement);
    await waitTargetsMasked();
    for (const target of targets) {
      await waitUntil(`${target.kind}: the poison row dead-lettered`, async () => (await readRawTopic(source.kafka, deadLetterTopic(source.prefix, target.groupId))).length === 1, 120_000, 500);
      const [letter] = await readRawTopic(source.kafka, deadLetterTopic(source.prefix, target.groupId));
      expect(letter.headers['paysync.error.reason']).toMatch(/target refused the row: .*small_amounts/);
    }
    await source.db.pool.query(`DELETE FROM ${CARDS} WHERE id = 9`);
    await waitTargetsMasked();

    // Drift on the PostgreSQL replica: a card (repaired through capture's re-read, masked too) and a token (its key is hashed: found, not repaired).
    const pg = targets.find((t) => t.kind === 'postgres')!;
    const [token] = await pg.db.query(`SELECT pan, holder, memo, amount::text AS amount FROM ${TOKENS} WHERE pan = '${hmac(PANS[3])}'`);
    await pg.db.query(`DELETE FROM ${CARDS} WHERE id = 2`);
    await pg.db.query(`DELETE FROM ${TOKENS} WHERE pan = '${hmac(PANS[3])}'`);
    const drifted = await reconcile(pg, { PAYSYNC_RECONCILE_REPAIR: 'true' });
    expect(drifted.code).toBe(3);
    const [cards, tokens] = drifted.report.tables;
    expect(cards).toMatchObject({ table: CARDS, missing: [{ id: 2 }], extra: [], different: [], repaired: 1 });
    expect(tokens).toMatchObject({ table: TOKENS, missing: [{ pan: hmac(PANS[3]) }], extra: [], different: [], repaired: 0 });
    expect(drifted.output).toContain('its primary key is hashed (PAYSYNC_COLUMN_HASH)');
    await pg.db.query(`INSERT INTO ${TOKENS} (pan, holder, memo, amount) VALUES ('${token.pan}', '${token.holder}', '${token.memo}', ${token.amount})`);
    await waitTargetsMasked();

    for (const target of targets) {
      const clean = await reconcile(target);
      expect({ kind: target.kind, code: clean.code, output: clean.output }).toMatchObject({ kind: target.kind, code: 0 });
      for (const table of clean.report.tables) expect(table).toMatchObject({ missing: [], extra: [], different: [], unsettled: 0 });
      expect(clean.report.tables.map((t) => [t.table, t.rows])).toEqual([[CARDS, 5], [TOKENS, 3]]);
    }

    // Every byte of every topic this test made: table topics, the transaction topic, both dead-letter topics.
    const scan = await scanTopicsFor(source.kafka, source.prefix, [...PANS, ...CVVS, MEMO.slice(0, 40), 'short memo']);
    expect(scan.leaks).toEqual([]);
    expect([...scan.records.keys()]).toEqual(
      [source.topic(TOKENS), source.topic(CARDS), transactionTopicName(source.prefix), ...targets.map((t) => deadLetterTopic(source.prefix, t.groupId))].sort(),
    );
    for (const [topic, count] of scan.records) expect({ topic, count: count > 0 }).toEqual({ topic, count: true });
    // And it did see the data: each HMAC is there instead.
    const hmacs = await scanTopicsFor(source.kafka, source.prefix, [hmac(PANS[5])!, hmac(MEMO)!]);
    expect(hmacs.leaks.length).toBeGreaterThan(0);

    // Decoded: no cvv in any schema or event, hashed values are HMACs, an unchanged TOAST memo stays unchanged, a key keeps its partition.
    for (const table of TABLES) {
      const records = await readTopic(source.kafka, source.topic(table));
      const partitionsByKey = new Map<string, Set<number>>();
      for (const record of records) {
        const key = stableJson(record.key);
        partitionsByKey.set(key, (partitionsByKey.get(key) ?? new Set()).add(record.partition));
        for (const row of [record.key, record.value?.before, record.value?.after]) {
          if (!row) continue;
          expect(Object.keys(row)).not.toContain('cvv');
          if ('pan' in row && row.pan !== null) expect(row.pan).toMatch(/^[0-9a-f]{64}$/);
        }
      }
      expect([...partitionsByKey.values()].every((partitions) => partitions.size === 1)).toBe(true);
      if (table === CARDS) {
        const ops = records.map((r) => r.value).filter((v): v is ChangeEnvelope => v !== null).map((v) => `${v.op}${v.source.snapshot === 'incremental' ? '*' : ''}`);
        expect(ops).toEqual(expect.arrayContaining(['r*', 'c', 'u', 'd']));
        const deleted = records.find((r) => r.value?.op === 'd' && r.value.before?.id === 3n)!;
        expect(deleted.value?.before).toEqual({ id: 3n, pan: hmac(PANS[2]), holder: 'Cy', amount: '0.01' });
      } else {
        const toastKept = records.find((r) => r.value?.op === 'u' && r.value.after?.holder === 'Ann A.')!;
        expect(toastKept.value).toMatchObject({ unchanged_toast: ['memo'], after: { pan: hmac(PANS[3]), memo: null } });
      }
    }

    // The key came from a file and is never echoed.
    for (const output of [capture.output(), ...targets.map((t) => t.apply.output()), ...reconciles.map((r) => r.output)]) expect(output).not.toContain(HASH_KEY);
  });

  it.each([
    ['an excluded primary-key column', { PAYSYNC_COLUMN_EXCLUDE: 'public.cards.id' }, 'PAYSYNC_COLUMN_EXCLUDE names public.cards.id, a primary-key column'],
    ['a column the table lacks', { PAYSYNC_COLUMN_HASH: 'public.cards.card_number' }, 'PAYSYNC_COLUMN_HASH names public.cards.card_number, but public.cards has no column "card_number"'],
    ['a table not captured', { PAYSYNC_COLUMN_EXCLUDE: 'public.accounts.secret' }, 'PAYSYNC_COLUMN_EXCLUDE names public.accounts.secret, but public.accounts is not in PAYSYNC_TABLES'],
    ['a column in both lists', { PAYSYNC_COLUMN_EXCLUDE: 'public.cards.pan' }, 'PAYSYNC_COLUMN_HASH names public.cards.pan, which PAYSYNC_COLUMN_EXCLUDE names too'],
    ['hashing without a key', { PAYSYNC_COLUMN_HASH_KEY_FILE: '' }, 'PAYSYNC_COLUMN_HASH_KEY is required when PAYSYNC_COLUMN_HASH names columns'],
    ['a short key', { PAYSYNC_COLUMN_HASH_KEY: 'short-secret-9c1f' }, 'PAYSYNC_COLUMN_HASH_KEY=(secret value hidden) must match a text of at least 32 characters'],
  ])('stops capture and the reconciler at start on %s, naming the setting (exit 2)', async (_case, wrong, message) => {
    const settings: Record<string, string> = { ...masking, ...wrong };
    if (settings.PAYSYNC_COLUMN_HASH_KEY_FILE === '') delete settings.PAYSYNC_COLUMN_HASH_KEY_FILE;
    // Its own slot and publication: a capture that wrongly went on would create them, and nothing else.
    const refused = source.startCapture(TABLES, { ...settings, PAYSYNC_SLOT: uniqueName('slot'), PAYSYNC_PUBLICATION: uniqueName('pub') });
    expect({ exit: await refused.exited, output: refused.output() }).toEqual({ exit: 2, output: expect.stringContaining(message) });
    const reconciler = startPaysync('reconcile', reconcilerEnv(source, targets[0].db, targets[0].groupId, TABLES, settings), ['--once']);
    expect({ exit: await reconciler.exited, output: reconciler.output() }).toEqual({ exit: 2, output: expect.stringContaining(message) });
    for (const output of [refused.output(), reconciler.output()]) expect(output).not.toContain('short-secret-9c1f');
  });
});
