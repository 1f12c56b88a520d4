import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadLetterTopic } from '@paysync/contract';
import { PAYMENTS_COMPARED, PAYMENTS_DDL, PAYMENTS_TABLES, PaymentsWorkload } from '../../../demo/payments-workload';
import { applyEnv, waitTargetsEqual, type AppliedTarget } from '../../support/applied-targets';
import { CaptureFixture } from '../../support/capture-fixture';
import { applyLoginOn, dropMariadbUsers, dropPostgresRoles, expectScriptRan, runMariadbScript, runPsqlScript, scratchLogin, withLogin, type ScratchLogin } from '../../support/database-roles';
import { uniqueName } from '../../support/fixtures';
import { exitedByItself, killAll, startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import { reconcileOnce } from '../../support/reconcile-once';
import { secureStackAddresses } from '../../support/stack-addresses';
import { createScratchMysqlTarget, createScratchPostgresTarget, type ScratchTarget } from '../../support/target-databases';
import { topicRecordCount } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';

jest.setTimeout(900_000);

const TABLES = PAYMENTS_TABLES.join(',');
const BARE_TABLES = PAYMENTS_TABLES.map((t) => t.split('.')[1]).join(',');
const secure = secureStackAddresses();
const CA = secure.PAYSYNC_TEST_CA_FILE;
const secretsDir = mkdtempSync(join(tmpdir(), 'paysync-secure-pipeline-'));
afterAll(() => rmSync(secretsDir, { recursive: true, force: true }));

/** A secret as a file, read through the <SETTING>_FILE convention as a mounted Kubernetes secret would be. */
function secretFile(name: string, value: string): string {
  const path = join(secretsDir, name);
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return path;
}

/** The stack's PostgreSQL URL over TLS: host name the certificate names, libpq's verify-full. */
function postgresOverTls(url: string, { host = 'localhost', rootcert = CA } = {}): string {
  const parsed = new URL(url);
  parsed.hostname = host;
  parsed.searchParams.set('sslmode', 'verify-full');
  parsed.searchParams.set('sslrootcert', rootcert);
  return parsed.toString();
}

function mariadbOverTls(url: string): string {
  const parsed = new URL(url);
  parsed.hostname = 'localhost';
  parsed.searchParams.set('ssl-mode', 'VERIFY_IDENTITY');
  parsed.searchParams.set('ssl-ca', CA);
  return parsed.toString();
}

/** Kafka through the SASL_SSL listener (SCRAM-SHA-512, the password from a file) and the registry over https with basic auth. */
const secureKafkaAndRegistry = (): Record<string, string> => ({
  PAYSYNC_KAFKA_BROKERS: secure.PAYSYNC_TEST_KAFKA_SECURE_BROKERS,
  PAYSYNC_KAFKA_SSL: 'true',
  PAYSYNC_KAFKA_SSL_CA_FILE: CA,
  PAYSYNC_KAFKA_SASL_MECHANISM: 'scram-sha-512',
  PAYSYNC_KAFKA_SASL_USERNAME: secure.PAYSYNC_TEST_KAFKA_SASL_USERNAME,
  PAYSYNC_KAFKA_SASL_PASSWORD_FILE: secretFile('kafka-password', secure.PAYSYNC_TEST_KAFKA_SASL_PASSWORD),
  PAYSYNC_SCHEMA_REGISTRY_URL: secure.PAYSYNC_TEST_REGISTRY_SECURE_URL,
  PAYSYNC_SCHEMA_REGISTRY_USERNAME: secure.PAYSYNC_TEST_REGISTRY_USERNAME,
  PAYSYNC_SCHEMA_REGISTRY_PASSWORD_FILE: secretFile('registry-password', secure.PAYSYNC_TEST_REGISTRY_PASSWORD),
  PAYSYNC_SCHEMA_REGISTRY_CA_FILE: CA,
});

describe('the whole pipeline over TLS, SASL/SCRAM and registry basic auth, under least-privilege roles', () => {
  let source: CaptureFixture;
  let capture: PaysyncProcess;
  let workload: PaymentsWorkload;
  const captureRole = scratchLogin('paysync_capture');
  const reconcilerRole = scratchLogin('paysync_reconciler');
  const postgresRoles: ScratchLogin[] = [captureRole, reconcilerRole];
  const mariadbUsers: ScratchLogin[] = [];
  const targets: ScratchTarget[] = [];
  const processes: PaysyncProcess[] = [];
  type Applied = AppliedTarget & { login: ScratchLogin; url: string };

  /** A scratch target with apply's role from deploy/sql, its URL over TLS (MariaDB's user may connect only over TLS), apply running. */
  async function appliedTarget(kind: 'postgres' | 'mysql'): Promise<Applied> {
    const db = kind === 'postgres' ? await createScratchPostgresTarget() : await createScratchMysqlTarget();
    targets.push(db);
    const login = await applyLoginOn(db, PAYMENTS_TABLES);
    (kind === 'postgres' ? postgresRoles : mariadbUsers).push(login);
    if (kind === 'mysql') await db.query(`ALTER USER '${login.name}'@'%' REQUIRE SSL`);
    const url = kind === 'postgres' ? postgresOverTls(withLogin(db.url, login)) : mariadbOverTls(withLogin(db.url, login));
    const groupId = uniqueName(`paysync-apply-${kind}`);
    const apply = startPaysync('apply', applyEnv(source, db, groupId, PAYMENTS_TABLES, { ...secureKafkaAndRegistry(), PAYSYNC_TARGET_URL: url }));
    processes.push(apply);
    return { kind, db, apply, groupId, login, url };
  }

  beforeAll(async () => {
    source = await CaptureFixture.create(PAYMENTS_DDL);
    await expectScriptRan(runPsqlScript(source.db.url, 'postgres-capture-publication.sql', { publication: source.publication, tables: TABLES }));
    await expectScriptRan(runPsqlScript(source.db.url, 'postgres-capture-role.sql', { role: captureRole.name, password: captureRole.password, tables: TABLES }));
    // Written before capture starts: these rows travel in the snapshot, the rest through the WAL.
    workload = new PaymentsWorkload(source.db.pool);
    workload.start(1);
    await waitUntil('50 transactions before capture', () => workload.transactions >= 50, 120_000);
    await workload.stop();
    capture = await source.startCaptureStreaming(PAYMENTS_TABLES, { ...secureKafkaAndRegistry(), PAYSYNC_SOURCE_URL: postgresOverTls(withLogin(source.db.url, captureRole)) });
  });

  afterAll(async () => {
    await killAll(processes);
    for (const target of targets) await target.drop();
    await source?.cleanup();
    await dropPostgresRoles(postgresRoles);
    await dropMariadbUsers(mariadbUsers);
  });

  it('captures, applies into PostgreSQL (verify-full) and MariaDB (TLS only), ends equal, and reconciles with no drift', async () => {
    const applied = [await appliedTarget('postgres'), await appliedTarget('mysql')];
    workload.start(2);
    try {
      await waitUntil('300 more source transactions', () => workload.transactions >= 350, 120_000);
    } finally {
      await workload.stop();
    }
    await waitTargetsEqual(source, capture, applied, PAYMENTS_COMPARED);
    for (const target of applied) {
      const deadLetters = await topicRecordCount(source.kafka, deadLetterTopic(source.prefix, target.groupId)).catch(() => 0);
      expect({ kind: target.kind, deadLetters }).toEqual({ kind: target.kind, deadLetters: 0 });
    }

    // Every PostgreSQL connection of capture (its pool and its walsender) and of apply is encrypted.
    const [postgres, mariadb] = applied;
    const sessions = async (db: { query(sql: string): Promise<Record<string, unknown>[]> }, user: string) =>
      db.query(`SELECT a.backend_type, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename = '${user}' ORDER BY 1, 2`);
    const captureSessions = await sessions({ query: async (sql) => (await source.db.pool.query(sql)).rows }, captureRole.name);
    expect(captureSessions.map((s) => s.backend_type)).toContain('walsender');
    expect(captureSessions.filter((s) => s.ssl !== 't')).toEqual([]);
    const applySessions = await sessions(postgres.db, postgres.login.name);
    expect(applySessions.length).toBeGreaterThan(0);
    expect(applySessions.filter((s) => s.ssl !== 't')).toEqual([]);

    const mariadbReconciler = scratchLogin('paysync_reconciler');
    mariadbUsers.push(mariadbReconciler);
    await expectScriptRan(runPsqlScript(source.db.url, 'postgres-reconciler-role.sql', { role: reconcilerRole.name, password: reconcilerRole.password, tables: TABLES, repair: 'off' }));
    await expectScriptRan(runPsqlScript(postgres.db.url, 'postgres-reconciler-role.sql', { role: reconcilerRole.name, tables: TABLES, apply_role: postgres.login.name }));
    await expectScriptRan(runMariadbScript(mariadb.db.url, 'mariadb-reconciler-user.sql', { paysync_user: mariadbReconciler.name, paysync_password: mariadbReconciler.password, paysync_tables: BARE_TABLES }));
    await mariadb.db.query(`ALTER USER '${mariadbReconciler.name}'@'%' REQUIRE SSL`);
    for (const [target, targetUrl] of [
      [postgres, postgresOverTls(withLogin(postgres.db.url, reconcilerRole))],
      [mariadb, mariadbOverTls(withLogin(mariadb.db.url, mariadbReconciler))],
    ] as const) {
      const { code, report, output } = await reconcileOnce(source, target.db, target.groupId, PAYMENTS_TABLES, {
        ...secureKafkaAndRegistry(),
        PAYSYNC_SOURCE_URL: postgresOverTls(withLogin(source.db.url, reconcilerRole)),
        PAYSYNC_TARGET_URL: targetUrl,
      });
      const drift = report.tables.flatMap((t) => [...t.missing, ...t.extra, ...t.different].map((k) => `${t.table} ${JSON.stringify(k)}`));
      expect({ kind: target.kind, code, drift, rows: report.tables.every((t) => t.rows > 0), output: code === 0 ? '' : output }).toEqual({ kind: target.kind, code: 0, drift: [], rows: true, output: '' });
    }
  });
});

/**
 * Settings the other side refuses stop the command within seconds, with one line naming the
 * setting and what to do (exit 2), before capture creates anything.
 */
describe('refused security settings', () => {
  let source: CaptureFixture;
  beforeAll(async () => {
    source = await CaptureFixture.create(PAYMENTS_DDL);
  });
  afterAll(async () => {
    await source?.cleanup();
  });

  const cases: [string, () => Record<string, string>, RegExp][] = [
    ['a wrong SASL password', () => ({ ...secureKafkaAndRegistry(), PAYSYNC_KAFKA_SASL_PASSWORD_FILE: secretFile('wrong', 'not-the-password') }), /^paysync capture: PAYSYNC_KAFKA_SASL_USERNAME \/ PAYSYNC_KAFKA_SASL_PASSWORD: the brokers \(127\.0\.0\.1:\d+\) refused the SASL scram-sha-512 credentials of user "paysync"\. Check/m],
    ['brokers signed by an untrusted CA', () => ({ ...secureKafkaAndRegistry(), PAYSYNC_KAFKA_SSL_CA_FILE: '' }), /^paysync capture: PAYSYNC_KAFKA_SSL_CA_FILE: the certificate of the brokers .* is not signed by a trusted CA\. Set PAYSYNC_KAFKA_SSL_CA_FILE/m],
    ['a plaintext client at the TLS listener', () => ({ ...secureKafkaAndRegistry(), PAYSYNC_KAFKA_SSL: 'false', PAYSYNC_KAFKA_SSL_CA_FILE: '' }), /^paysync capture: PAYSYNC_KAFKA_SSL \/ PAYSYNC_KAFKA_SASL_MECHANISM: the brokers .* closed every connection before answering\. A TLS listener/m],
    ['a host name the PostgreSQL certificate does not name, under verify-full', () => ({ ...secureKafkaAndRegistry(), PAYSYNC_SOURCE_URL: postgresOverTls(source.db.url, { host: '127.0.0.2' }) }), /^paysync capture: PAYSYNC_SOURCE_URL: the certificate of PostgreSQL at 127\.0\.0\.2:\d+ does not name that host \(sslmode=verify-full checks it\)/m],
    ['a PostgreSQL certificate from a CA not given', () => ({ ...secureKafkaAndRegistry(), PAYSYNC_SOURCE_URL: postgresOverTls(source.db.url, { rootcert: 'system' }) }), /^paysync capture: PAYSYNC_SOURCE_URL: the certificate of PostgreSQL at localhost:\d+ is not signed by a trusted CA/m],
    ['a wrong registry password', () => ({ ...secureKafkaAndRegistry(), PAYSYNC_SCHEMA_REGISTRY_PASSWORD_FILE: secretFile('wrong-registry', 'not-the-password') }), /^paysync capture: PAYSYNC_SCHEMA_REGISTRY_USERNAME .*answered 401 \(not authenticated\)/m],
  ];

  it.each(cases)('stops capture on %s', async (_what, settings, expected) => {
    // An empty value counts as unset.
    const env = { PAYSYNC_SOURCE_URL: postgresOverTls(source.db.url), ...settings() };
    const capture = source.startCapture(PAYMENTS_TABLES, env);
    const started = Date.now();
    expect(await exitedByItself(capture, 'capture refused')).toBe(2);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(capture.output()).toMatch(expected);
    const { rows } = await source.db.pool.query('SELECT count(*) AS slots FROM pg_replication_slots WHERE slot_name = $1', [source.slot]);
    expect(rows[0].slots).toBe('0');
  });

  it('stops apply on a MariaDB user that may connect only over TLS, reached without it', async () => {
    const db = await createScratchMysqlTarget();
    const login = scratchLogin('paysync_apply');
    try {
      await db.query(`CREATE USER '${login.name}'@'%' IDENTIFIED BY '${login.password}' REQUIRE SSL`);
      const apply = startPaysync('apply', applyEnv(source, db, uniqueName('paysync-apply'), PAYMENTS_TABLES, { PAYSYNC_TARGET_URL: withLogin(db.url, login) }));
      expect(await exitedByItself(apply, 'apply refused')).toBe(2);
      expect(apply.output()).toMatch(/^paysync apply: PAYSYNC_TARGET_URL: MariaDB\/MySQL at 127\.0\.0\.1:\d+ refused user "paysync_apply_\w+": Access denied .* A user created with REQUIRE SSL is refused without TLS too/m);
    } finally {
      await dropMariadbUsers([login]);
      await db.drop();
    }
  });

  it('stops the reconciler on a PostgreSQL target whose password is wrong', async () => {
    const db = await createScratchPostgresTarget();
    try {
      const run = startPaysync('reconcile', { PAYSYNC_SOURCE_URL: source.db.url, PAYSYNC_TARGET_URL: postgresOverTls(withLogin(db.url, { name: 'paysync', password: 'wrong-password' })), PAYSYNC_TABLES: TABLES }, ['--once']);
      expect(await exitedByItself(run, 'reconcile refused')).toBe(2);
      expect(run.output()).toMatch(/^paysync reconcile: PAYSYNC_TARGET_URL: PostgreSQL at localhost:\d+ refused the password of user "paysync"/m);
      expect(run.output()).not.toContain('wrong-password');
    } finally {
      await db.drop();
    }
  });
});
