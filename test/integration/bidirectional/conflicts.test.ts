import { PAYMENTS_COMPARED } from '../../../demo/payments-workload';
import { BidirectionalPair, type Side } from '../../support/bidirectional-pair';
import { httpAddressOf, sampleValue, scrapeMetrics } from '../../support/metrics-scrape';
import { reconcileOnce } from '../../support/reconcile-once';
import { readRawTopic } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';

jest.setTimeout(300_000);

const ACCOUNTS = PAYMENTS_COMPARED.filter((t) => t.name === 'public.accounts');

interface ConflictRecord {
  table: string;
  key: string[];
  reason: string;
  policy: string;
  resolution: string;
  incoming: { expected: Record<string, string | null>[]; after: Record<string, string | null> | null };
  target: Record<string, string | null> | null;
}

/**
 * A row updated on both sides before either change arrives: each apply finds the other side's
 * change meets a row changed here, and records it; dead-letter keeps both rows (the reconciler then
 * reports the key), source-wins one way and target-wins the other make A the authority.
 */
describe('bidirectional sync: a row changed on both sides is a conflict on each side, never silent', () => {
  let pair: BidirectionalPair;

  beforeAll(async () => {
    pair = await BidirectionalPair.runningPayments();
  });

  afterAll(async () => {
    await pair?.cleanup();
  });

  const balance = async (side: Side, id: number): Promise<string> => {
    const { rows } = await pair.side(side).db.pool.query<{ balance: string }>('SELECT balance::text AS balance FROM accounts WHERE id = $1', [id]);
    return rows[0].balance;
  };

  const conflicts = async (into: Side): Promise<ConflictRecord[]> =>
    (await readRawTopic(pair.a.kafka, pair.conflictTopic(into))).map((r) => JSON.parse(String(r.value)) as ConflictRecord);

  /** Both applies stopped, account `id` changed on each side, both changes in Kafka; then the applies start with `policies`. */
  const changeOnBothSides = async (id: number, policies: Record<Side, string>): Promise<void> => {
    await pair.stopApply('a');
    await pair.stopApply('b');
    await pair.a.db.pool.query(`UPDATE accounts SET balance = balance + 111, owner = 'changed on A' WHERE id = $1`, [id]);
    await pair.b.db.pool.query(`UPDATE accounts SET balance = balance + 222, owner = 'changed on B' WHERE id = $1`, [id]);
    for (const side of ['a', 'b'] as const) await pair.side(side).waitCaughtUp(pair.captures[side]!);
    pair.startApply('a', { PAYSYNC_CONFLICT_POLICY: policies.a });
    pair.startApply('b', { PAYSYNC_CONFLICT_POLICY: policies.b });
  };

  const conflictOf = async (into: Side, id: number): Promise<ConflictRecord> => {
    let found: ConflictRecord | undefined;
    await waitUntil(
      () => `a conflict record for account ${id} on ${pair.conflictTopic(into)}\n${pair.tail()}`,
      async () => {
        found = (await conflicts(into)).find((c) => c.key[0] === String(id));
        return found !== undefined;
      },
      120_000,
      250,
    );
    return found as ConflictRecord;
  };

  test('dead-letter (the default): neither change is applied, each side records one conflict, the reconciler reports the key', async () => {
    await changeOnBothSides(7, { a: 'dead-letter', b: 'dead-letter' });
    const intoB = await conflictOf('b', 7);
    const intoA = await conflictOf('a', 7);
    expect(intoB).toMatchObject({ table: 'public.accounts', policy: 'dead-letter', resolution: 'incoming change not applied, target row kept' });
    expect(intoB.incoming.after).toMatchObject({ owner: 'changed on A', balance: '1111.0000' });
    expect(intoB.incoming.expected[0]).toMatchObject({ owner: 'owner 7', balance: '1000.0000' });
    expect(intoB.target).toMatchObject({ owner: 'changed on B', balance: '1222.0000' });
    expect(intoA.incoming.after).toMatchObject({ owner: 'changed on B', balance: '1222.0000' });
    expect(intoA.target).toMatchObject({ owner: 'changed on A', balance: '1111.0000' });

    // Later changes go on: one more account changed on A reaches B, with no conflict.
    await pair.a.db.pool.query(`UPDATE accounts SET balance = balance - 1 WHERE id = 8`);
    await waitUntil(() => `account 8 to reach B\n${pair.tail()}`, async () => (await balance('b', 8)) === '999.0000', 120_000, 250);
    expect(await balance('a', 7)).toBe('1111.0000');
    expect(await balance('b', 7)).toBe('1222.0000');
    expect((await conflicts('b')).length).toBe(1);
    expect((await conflicts('a')).length).toBe(1);

    const samples = await scrapeMetrics(httpAddressOf(pair.applies.b!, 'apply health server listening'));
    expect(sampleValue(samples, 'paysync_apply_conflicts_total', { table: 'public.accounts', resolution: 'kept' })).toBe(1);

    // Each direction, fenced by its own capture's slot and apply group, reports exactly that key.
    for (const [from, into] of [['a', 'b'], ['b', 'a']] as const) {
      const { report } = await reconcileOnce(pair.side(from), pair.target(into), pair.groups[into], ['public.accounts'], { PAYSYNC_RECONCILE_REPAIR: 'false' });
      const accounts = report.tables.find((t) => t.table === 'public.accounts');
      expect(accounts?.missing).toEqual([]);
      expect(accounts?.extra).toEqual([]);
      expect(accounts?.different.map((k) => String(k.id))).toEqual(['7']);
    }
  });

  test("source-wins into B and target-wins into A: both sides end with A's row, both conflicts recorded", async () => {
    await changeOnBothSides(9, { a: 'target-wins', b: 'source-wins' });
    const intoB = await conflictOf('b', 9);
    const intoA = await conflictOf('a', 9);
    expect(intoB).toMatchObject({ policy: 'source-wins', resolution: 'incoming change applied' });
    expect(intoA).toMatchObject({ policy: 'target-wins', resolution: 'incoming change not applied, target row kept' });
    await waitUntil(() => `account 9 on B to be A's row\n${pair.tail()}`, async () => (await balance('b', 9)) === '1111.0000', 120_000, 250);
    expect(await balance('a', 9)).toBe('1111.0000');
    // B's write of A's row is tagged: B's capture drops it, nothing echoes back to A.
    await pair.a.db.pool.query(`UPDATE accounts SET balance = balance - 1 WHERE id = 10`);
    await waitUntil(() => `account 10 to reach B\n${pair.tail()}`, async () => (await balance('b', 10)) === '999.0000', 120_000, 250);
    expect((await conflicts('a')).filter((c) => c.key[0] === '9')).toHaveLength(1);
    expect((await conflicts('b')).filter((c) => c.key[0] === '9')).toHaveLength(1);
    const rows = await pair.differences(ACCOUNTS);
    expect(rows).toEqual([expect.stringContaining('7')]);
  });
});
