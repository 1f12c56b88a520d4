import { quoteIdent } from '@paysync/postgres';
import { PAYMENTS_COMPARED, PAYMENTS_TABLES } from '../../../demo/payments-workload';
import { BidirectionalPair, PAYMENTS_DDL_A, PAYMENTS_DDL_B } from '../../support/bidirectional-pair';
import { applyLoginOn, dropPostgresRoles, expectScriptRan, runPsqlScript, withLogin, type ScratchLogin } from '../../support/database-roles';
import { httpAddressOf, sampleValue, scrapeMetrics } from '../../support/metrics-scrape';
import { exitedByItself } from '../../support/paysync-process';
import { waitUntil } from '../../support/wait';

jest.setTimeout(300_000);

/**
 * PAYSYNC_BIDIRECTIONAL under the least-privilege role deploy/sql makes: without bidirectional=on
 * apply stops at start naming the GRANT; with it, apply tags what it writes into A, and A's capture
 * drops it (nothing echoes back).
 */
describe('bidirectional sync: apply under the deploy/sql role', () => {
  let pair: BidirectionalPair;
  let login: ScratchLogin;

  beforeAll(async () => {
    pair = await BidirectionalPair.create(PAYMENTS_DDL_A, PAYMENTS_DDL_B, PAYMENTS_TABLES);
    await pair.startCapture('b');
    await pair.startCapture('a');
    pair.startApply('b');
    await pair.waitEqual(PAYMENTS_COMPARED);
    login = await applyLoginOn(pair.target('a'), PAYMENTS_TABLES);
  });

  afterAll(async () => {
    await pair?.cleanup();
    if (login) await dropPostgresRoles([login]);
  });

  test('stops at start without EXECUTE on the origin functions, naming the GRANT; with it, its writes into A do not echo', async () => {
    const asRole = { PAYSYNC_TARGET_URL: withLogin(pair.a.db.url, login) };
    const refused = pair.startApply('a', asRole);
    expect(await exitedByItself(refused, 'apply without the origin grant')).toBe(1);
    expect(refused.output()).toContain(
      `no EXECUTE on pg_replication_origin_create(text), pg_replication_origin_session_setup(text); fix: as a superuser, on PostgreSQL 14 or later: GRANT EXECUTE ON FUNCTION pg_replication_origin_create(text), pg_replication_origin_session_setup(text) TO ${quoteIdent(login.name)};`,
    );

    await expectScriptRan(runPsqlScript(pair.a.db.url, 'postgres-apply-role.sql', { role: login.name, tables: PAYMENTS_TABLES.join(','), create_tables: 'on', bidirectional: 'on' }));
    const apply = pair.startApply('a', asRole);
    await pair.b.db.pool.query(`UPDATE accounts SET balance = balance + 5 WHERE id = 3`);
    await waitUntil(
      () => `B's change to reach A\n${pair.tail()}`,
      async () => (await pair.a.db.pool.query<{ balance: string }>('SELECT balance::text AS balance FROM accounts WHERE id = 3')).rows[0]?.balance === '1005.0000',
      120_000,
      250,
    );
    // A's capture read apply's transaction and dropped it.
    const captureA = httpAddressOf(pair.captures.a!, 'capture health server listening');
    await waitUntil(
      () => `A's capture to count the skipped change\n${pair.tail()}`,
      async () => (sampleValue(await scrapeMetrics(captureA), 'paysync_capture_skipped_applied_changes_total', { table: 'public.accounts' }) ?? 0) >= 1,
      60_000,
      250,
    );
    expect(apply.child.exitCode).toBeNull();
    const { rows } = await pair.a.db.pool.query<{ roname: string }>(`SELECT roname FROM pg_replication_origin WHERE roname LIKE $1`, [`paysync.apply.${pair.groups.a}.%`]);
    expect(rows.length).toBeGreaterThan(0);
  });
});
