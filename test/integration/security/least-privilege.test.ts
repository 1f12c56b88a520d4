import { deadLetterTopic } from '@paysync/contract';
import { quoteIdent } from '@paysync/postgres';
import { PAYMENTS_COMPARED, PAYMENTS_DDL, PAYMENTS_TABLES, PaymentsWorkload } from '../../../demo/payments-workload';
import { applyEnv, waitTargetsEqual, type AppliedTarget } from '../../support/applied-targets';
import { CaptureFixture } from '../../support/capture-fixture';
import {
  applyLoginOn,
  dropMariadbUsers,
  dropPostgresRoles,
  expectScriptRan,
  runMariadbScript,
  runPsqlScript,
  scratchLogin,
  withLogin,
  type ScratchLogin,
} from '../../support/database-roles';
import { uniqueName } from '../../support/fixtures';
import { exitedByItself, killAll, startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import { reconcileOnce } from '../../support/reconcile-once';
import { createScratchMysqlTarget, createScratchPostgresTarget, type ScratchTarget } from '../../support/target-databases';
import { topicRecordCount } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';

jest.setTimeout(900_000);

const TABLES = PAYMENTS_TABLES.join(',');
const BARE_TABLES = PAYMENTS_TABLES.map((t) => t.split('.')[1]).join(',');

/** Source, capture, apply and the reconciler, each as a real process under the role deploy/sql makes for it. */
describe('least-privilege roles made by deploy/sql', () => {
  let source: CaptureFixture;
  let capture: PaysyncProcess;
  const captureRole = scratchLogin('paysync_capture');
  const reconcilerRole = scratchLogin('paysync_reconciler');
  const postgresRoles: ScratchLogin[] = [captureRole, reconcilerRole];
  const mariadbUsers: ScratchLogin[] = [];
  const targets: ScratchTarget[] = [];
  const processes: PaysyncProcess[] = [];

  type Applied = AppliedTarget & { login: ScratchLogin };

  function startApply(target: Applied): PaysyncProcess {
    const apply = startPaysync('apply', applyEnv(source, target.db, target.groupId, PAYMENTS_TABLES, { PAYSYNC_TARGET_URL: withLogin(target.db.url, target.login) }));
    processes.push(apply);
    return apply;
  }

  /** A scratch target, apply's role made there by the deploy/sql script (apply may create the tables), and apply running as it. */
  async function appliedTarget(kind: 'postgres' | 'mysql'): Promise<Applied> {
    const db = kind === 'postgres' ? await createScratchPostgresTarget() : await createScratchMysqlTarget();
    targets.push(db);
    const login = await applyLoginOn(db, PAYMENTS_TABLES);
    (kind === 'postgres' ? postgresRoles : mariadbUsers).push(login);
    const target = { kind, db, login, groupId: uniqueName(`paysync-apply-${kind}`) } as Applied;
    target.apply = startApply(target);
    return target;
  }

  const deadLetters = (target: Applied) => topicRecordCount(source.kafka, deadLetterTopic(source.prefix, target.groupId)).catch(() => 0);

  beforeAll(async () => {
    source = await CaptureFixture.create(PAYMENTS_DDL);
    // The tables' owner publishes them; a superuser makes capture's role.
    await expectScriptRan(runPsqlScript(source.db.url, 'postgres-capture-publication.sql', { publication: source.publication, tables: TABLES }));
    await expectScriptRan(runPsqlScript(source.db.url, 'postgres-capture-role.sql', { role: captureRole.name, password: captureRole.password, tables: TABLES }));
    capture = await source.startCaptureStreaming(PAYMENTS_TABLES, { PAYSYNC_SOURCE_URL: withLogin(source.db.url, captureRole) });
  });

  afterAll(async () => {
    await killAll(processes);
    for (const target of targets) await target.drop();
    await source?.cleanup();
    await dropPostgresRoles(postgresRoles);
    await dropMariadbUsers(mariadbUsers);
  });

  it('runs capture, apply into PostgreSQL and MariaDB, and the reconciler with repair, ending equal with no drift', async () => {
    const { rows } = await source.db.pool.query(`SELECT rolsuper, has_database_privilege(rolname, current_database(), 'CREATE') AS can_create FROM pg_roles WHERE rolname = $1`, [captureRole.name]);
    expect(rows[0]).toEqual({ rolsuper: 'f', can_create: 'f' });
    const applied = [await appliedTarget('postgres'), await appliedTarget('mysql')];
    const workload = new PaymentsWorkload(source.db.pool);
    workload.start(2);
    try {
      await waitUntil('300 source transactions', () => workload.transactions >= 300, 120_000);
    } finally {
      await workload.stop();
    }
    await waitTargetsEqual(source, capture, applied, PAYMENTS_COMPARED);
    for (const target of applied) expect({ kind: target.kind, deadLetters: await deadLetters(target) }).toEqual({ kind: target.kind, deadLetters: 0 });

    const [postgres, mariadb] = applied;
    const mariadbReconciler = scratchLogin('paysync_reconciler');
    mariadbUsers.push(mariadbReconciler);
    await expectScriptRan(runPsqlScript(source.db.url, 'postgres-reconciler-role.sql', { role: reconcilerRole.name, password: reconcilerRole.password, tables: TABLES, repair: 'on' }));
    await expectScriptRan(runPsqlScript(postgres.db.url, 'postgres-reconciler-role.sql', { role: reconcilerRole.name, tables: TABLES, apply_role: postgres.login.name }));
    await expectScriptRan(runMariadbScript(mariadb.db.url, 'mariadb-reconciler-user.sql', { paysync_user: mariadbReconciler.name, paysync_password: mariadbReconciler.password, paysync_tables: BARE_TABLES }));
    const reconcile = (target: Applied, login: ScratchLogin, tables: string[], extra: Record<string, string> = {}) =>
      reconcileOnce(source, target.db, target.groupId, tables, { PAYSYNC_SOURCE_URL: withLogin(source.db.url, reconcilerRole), PAYSYNC_TARGET_URL: withLogin(target.db.url, login), ...extra });
    for (const [target, login] of [[postgres, reconcilerRole], [mariadb, mariadbReconciler]] as const) {
      const { code, report, output } = await reconcile(target, login, PAYMENTS_TABLES);
      const drift = report.tables.flatMap((t) => [...t.missing, ...t.extra, ...t.different].map((k) => `${t.table} ${JSON.stringify(k)}`));
      expect({ kind: target.kind, code, drift, unsettled: report.tables.map((t) => t.unsettled), output: code === 0 ? '' : output }).toEqual({ kind: target.kind, code: 0, drift: [], unsettled: [0, 0, 0], output: '' });
    }

    // Repair under the reconciler's role: a request in the source's WAL, served by capture's role, written by apply's.
    // An account the source still has (the workload closes some).
    const id = Number((await source.db.pool.query<{ id: string }>('SELECT min(id) AS id FROM accounts')).rows[0].id);
    await postgres.db.query(`DELETE FROM public.accounts WHERE id = ${id}`);
    const repair = await reconcile(postgres, reconcilerRole, ['public.accounts'], { PAYSYNC_RECONCILE_REPAIR: 'true' });
    expect({ code: repair.code, table: repair.report.tables[0] }).toMatchObject({ code: 3, table: { missing: [{ id }], repaired: 1 } });
    let after: Awaited<ReturnType<typeof reconcile>> | undefined;
    await waitUntil(() => `no drift after the repair; last: ${after?.output}`, async () => (after = await reconcile(postgres, reconcilerRole, ['public.accounts'])).code === 0, 120_000, 1000);
  });

  it('serves paysync snapshot run under capture\'s role, whose request table capture made in its own schema', async () => {
    const { rows } = await source.db.pool.query<{ owner: string; accounts: string }>(
      `SELECT (SELECT tableowner FROM pg_tables WHERE schemaname = 'paysync' AND tablename = 'capture_snapshot_requests') AS owner, (SELECT count(*) FROM public.accounts WHERE id <= 10) AS accounts`,
    );
    expect(rows[0].owner).toBe(captureRole.name);
    const snapshot = startPaysync('snapshot', source.env(PAYMENTS_TABLES, { PAYSYNC_SOURCE_URL: withLogin(source.db.url, captureRole) }), ['--table', 'public.accounts', '--where', 'id <= 10', '--wait']);
    processes.push(snapshot);
    expect(await exitedByItself(snapshot, 'paysync snapshot --wait')).toBe(0);
    // Nothing changes the first ten accounts here, so every one of them is sent.
    expect(snapshot.output()).toMatch(new RegExp(`done: ${rows[0].accounts} rows sent`));
  });

  it.each(['postgres', 'mysql'] as const)('stops apply on a %s target whose role lost INSERT and UPDATE on a table, dead-letters nothing, and after the GRANT a restart ends equal', async (kind) => {
    const target = await appliedTarget(kind);
    await waitTargetsEqual(source, capture, [target], PAYMENTS_COMPARED);
    const database = decodeURIComponent(new URL(target.db.url).pathname.slice(1));
    const grant =
      kind === 'postgres'
        ? `GRANT INSERT, UPDATE ON "public"."transfers" TO ${quoteIdent(target.login.name)};`
        : `GRANT INSERT, UPDATE ON \`${database}\`.\`transfers\` TO '${target.login.name}'@'%';`;
    await target.db.query(kind === 'postgres' ? `REVOKE INSERT, UPDATE ON public.transfers FROM ${quoteIdent(target.login.name)}` : `REVOKE INSERT, UPDATE ON transfers FROM '${target.login.name}'@'%'`);

    await source.db.pool.query(`INSERT INTO transfers (from_account, to_account, amount, status) VALUES (1, 2, 5.0000, 'done'), (3, 4, 6.0000, 'done')`);
    expect(await exitedByItself(target.apply, 'apply refused by the target')).toBe(1);
    expect(target.apply.output()).toContain(`lacks INSERT, UPDATE on ${kind === 'postgres' ? '"public"."transfers"' : `\`${database}\`.\`transfers\``}; fix: ${grant}`);
    expect(await deadLetters(target)).toBe(0);

    // Restarted before the GRANT, it stops at start with the same fix and applies nothing.
    const early = startApply(target);
    expect(await exitedByItself(early, 'apply at start')).toBe(1);
    expect(early.output()).toContain(grant);

    // The DBA runs the GRANT apply printed: the next apply resumes at the refused batch and nothing is lost.
    await target.db.query(grant.replace(/;$/, ''));
    target.apply = startApply(target);
    await waitTargetsEqual(source, capture, [target], PAYMENTS_COMPARED);
    expect(await deadLetters(target)).toBe(0);
  });
});

/** Capture started under roles that lack something: it stops before it creates anything, saying what to grant. */
describe('capture under a role missing privileges', () => {
  let source: CaptureFixture;
  const roles: ScratchLogin[] = [];

  beforeEach(async () => {
    source = await CaptureFixture.create(PAYMENTS_DDL);
  });

  afterEach(async () => {
    await source.cleanup();
    await dropPostgresRoles(roles.splice(0));
  });

  /** Starts capture as the role, expects it to stop at preflight (exit 1), and returns what it said. */
  async function refusedCapture(role: ScratchLogin): Promise<string> {
    const capture = source.startCapture(PAYMENTS_TABLES, { PAYSYNC_SOURCE_URL: withLogin(source.db.url, role) });
    expect(await exitedByItself(capture, 'capture at preflight')).toBe(1);
    // Nothing was created: no slot, no progress table, no topic; the publication is as the owner made it.
    const { rows } = await source.db.pool.query(
      `SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1) AS slots,
              to_regclass('paysync.capture_snapshot_progress') IS NULL AS no_progress_table,
              (SELECT count(*) FROM pg_publication_tables WHERE pubname = $2) AS published`,
      [source.slot, source.publication],
    );
    const admin = source.kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${source.prefix}.`));
    await admin.disconnect();
    return JSON.stringify({ ...rows[0], topics }) + '\n' + capture.output();
  }

  it('stops at preflight when the role may not read one table, naming it and the GRANT', async () => {
    const role = scratchLogin('paysync_capture');
    roles.push(role);
    await expectScriptRan(runPsqlScript(source.db.url, 'postgres-capture-publication.sql', { publication: source.publication, tables: TABLES }));
    await expectScriptRan(runPsqlScript(source.db.url, 'postgres-capture-role.sql', { role: role.name, password: role.password, tables: 'public.accounts,public.transfers' }));
    const said = await refusedCapture(role);
    expect(said).toContain('{"slots":"0","no_progress_table":"t","published":"3","topics":[]}');
    expect(said).toContain(`may not read public.ledger (no SELECT; the snapshot and re-reads read it)\n    fix: GRANT SELECT ON "public"."ledger" TO ${quoteIdent(role.name)};`);
    expect(said).toContain('capture cannot start: 1 problem on the source database');
  });

  it('names every missing privilege at once for a role the scripts never ran for', async () => {
    const role = scratchLogin('paysync_capture');
    roles.push(role);
    await source.db.pool.query(`CREATE ROLE ${quoteIdent(role.name)} LOGIN PASSWORD '${role.password}'`);
    const said = await refusedCapture(role);
    const quoted = quoteIdent(role.name);
    expect(said).toContain('{"slots":"0","no_progress_table":"t","published":"0","topics":[]}');
    for (const expected of [
      `fix: as a superuser: ALTER ROLE ${quoted} REPLICATION;`,
      ...PAYMENTS_TABLES.map((t) => `fix: GRANT SELECT ON "public"."${t.split('.')[1]}" TO ${quoted};`),
      `fix: as the owner of the tables: CREATE PUBLICATION ${quoteIdent(source.publication)} FOR TABLE "public"."accounts", "public"."transfers", "public"."ledger";`,
      `fix: CREATE SCHEMA "paysync" AUTHORIZATION ${quoted};`,
    ]) {
      expect(said).toContain(expected);
    }
    expect(said).toContain('capture cannot start: 6 problems on the source database');
  });
});
