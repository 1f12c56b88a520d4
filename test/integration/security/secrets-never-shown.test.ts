import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PAYMENTS_DDL, PAYMENTS_TABLES } from '../../../demo/payments-workload';
import { CaptureFixture } from '../../support/capture-fixture';
import { withLogin } from '../../support/database-roles';
import { uniqueName } from '../../support/fixtures';
import { httpAddressOf } from '../../support/metrics-scrape';
import { killAll, startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import { secureStackAddresses, stackAddresses } from '../../support/stack-addresses';
import { createScratchMysqlTarget, createScratchPostgresTarget, type ScratchTarget } from '../../support/target-databases';
import { waitUntil } from '../../support/wait';

jest.setTimeout(600_000);

const CLI = join(__dirname, '..', '..', '..', 'services', 'cli', 'bin', 'paysync.js');
const secure = secureStackAddresses();

/** Values no output may hold: distinctive, so a hit can only be a leak. */
const secret = (what: string) => `${what}-${randomBytes(8).toString('hex')}`;
const SECRETS = {
  sourcePassword: secret('srcpw'),
  targetPassword: secret('tgtpw'),
  saslPassword: secret('saslpw'),
  registryPassword: secret('regpw'),
  registryToken: secret('regtoken'),
  hashKey: secret('hashkey-at-least-thirty-two-characters'),
  adminToken: secret('admintoken'),
};

/** Each secret as it could leak: as is, URL-encoded, and inside a basic-auth header. */
function leakForms(): string[] {
  const values = Object.values(SECRETS);
  return [...values, ...values.map(encodeURIComponent), Buffer.from(`paysync:${SECRETS.registryPassword}`).toString('base64')];
}

function expectNoSecret(what: string, output: string): void {
  const found = leakForms().filter((form) => output.includes(form));
  expect({ what, found }).toEqual({ what, found: [] });
}

/** Every secret setting of every command, set, with credentials the other side refuses. */
function secretSettings(source: CaptureFixture, target: ScratchTarget): Record<string, string> {
  const stack = stackAddresses();
  return {
    PAYSYNC_SOURCE_URL: source.db.url,
    PAYSYNC_TARGET_URL: target.url,
    PAYSYNC_TABLES: PAYMENTS_TABLES.join(','),
    PAYSYNC_GROUP_ID: uniqueName('paysync-apply'),
    PAYSYNC_TOPIC_PREFIX: source.prefix,
    PAYSYNC_SLOT: source.slot,
    PAYSYNC_PUBLICATION: source.publication,
    PAYSYNC_KAFKA_BROKERS: secure.PAYSYNC_TEST_KAFKA_SECURE_BROKERS,
    PAYSYNC_KAFKA_SSL: 'true',
    PAYSYNC_KAFKA_SSL_CA_FILE: secure.PAYSYNC_TEST_CA_FILE,
    PAYSYNC_KAFKA_SASL_MECHANISM: 'scram-sha-512',
    PAYSYNC_KAFKA_SASL_USERNAME: secure.PAYSYNC_TEST_KAFKA_SASL_USERNAME,
    PAYSYNC_KAFKA_SASL_PASSWORD: secure.PAYSYNC_TEST_KAFKA_SASL_PASSWORD,
    PAYSYNC_SCHEMA_REGISTRY_URL: stack.PAYSYNC_TEST_REGISTRY_URL,
    PAYSYNC_COLUMN_HASH: 'public.accounts.owner',
    PAYSYNC_COLUMN_HASH_KEY: SECRETS.hashKey,
    PAYSYNC_ADMIN_TOKEN: SECRETS.adminToken,
  };
}

/** Runs a command to its end (bounded) and returns everything it wrote. */
function runToEnd(args: string[], env: Record<string, string>): { code: number | null; output: string } {
  const run = spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', PAYSYNC_HTTP_PORT: '0', PAYSYNC_HTTP_HOST: '127.0.0.1', ...env }, encoding: 'utf8', timeout: 120_000 });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('secrets never appear in output', () => {
  let source: CaptureFixture;
  let postgres: ScratchTarget;
  let mariadb: ScratchTarget;
  const processes: PaysyncProcess[] = [];

  beforeAll(async () => {
    source = await CaptureFixture.create(PAYMENTS_DDL);
    postgres = await createScratchPostgresTarget();
    mariadb = await createScratchMysqlTarget();
  });

  afterAll(async () => {
    await killAll(processes);
    await postgres?.drop();
    await mariadb?.drop();
    await source?.cleanup();
  });

  const wrongLogin = (url: string, password: string) => withLogin(url, { name: decodeURIComponent(new URL(url).username), password });

  it('in --help, `paysync settings` and configuration errors', () => {
    const env = { ...secretSettings(source, postgres), PAYSYNC_KAFKA_SASL_PASSWORD: SECRETS.saslPassword };
    for (const args of [['settings'], ['settings', '--markdown'], ['--help'], ...['capture', 'apply', 'reconcile', 'replay', 'status', 'snapshot'].map((c) => [c, '--help'])]) {
      const { code, output } = runToEnd(args, env);
      expect({ args, code }).toEqual({ args, code: 0 });
      expectNoSecret(args.join(' '), output);
    }
    // Invalid settings: secret settings given values the commands refuse, each to the commands that read them.
    const invalid: [string[], Record<string, string>][] = [
      [['capture', 'reconcile', 'snapshot'], { PAYSYNC_SOURCE_URL: `postgresql//paysync:${SECRETS.sourcePassword}@db/x` }],
      [['capture', 'reconcile', 'snapshot'], { PAYSYNC_SOURCE_URL: `postgres://paysync:${SECRETS.sourcePassword}@db/x?sslmode=verify-full` }],
      [['capture', 'apply', 'replay', 'reconcile'], { PAYSYNC_KAFKA_SASL_MECHANISM: '', PAYSYNC_KAFKA_SASL_PASSWORD: SECRETS.saslPassword }],
      [['capture', 'apply', 'replay'], { PAYSYNC_SCHEMA_REGISTRY_USERNAME: 'paysync', PAYSYNC_SCHEMA_REGISTRY_PASSWORD: SECRETS.registryPassword, PAYSYNC_SCHEMA_REGISTRY_TOKEN: SECRETS.registryToken }],
      [['capture', 'reconcile'], { PAYSYNC_COLUMN_HASH_KEY: SECRETS.hashKey.slice(0, 20) }],
      [['apply', 'replay', 'reconcile'], { PAYSYNC_TARGET_URL: `mysql://paysync:${SECRETS.targetPassword}@db/x?ssl-mode=PREFERRED` }],
    ];
    for (const [commands, bad] of invalid) {
      for (const command of commands) {
        const { code, output } = runToEnd(command === 'reconcile' ? [command, '--once'] : [command], { ...secretSettings(source, postgres), ...bad });
        expect({ command, bad: Object.keys(bad), code }).toEqual({ command, bad: Object.keys(bad), code: 2 });
        expectNoSecret(`${command} with ${Object.keys(bad).join(', ')}`, output);
      }
    }
  });

  it('when connections fail: wrong database, SASL and registry passwords, a token the registry refuses', () => {
    const base = secretSettings(source, postgres);
    const failing: [string[], Record<string, string>][] = [
      [['capture'], { PAYSYNC_SOURCE_URL: wrongLogin(source.db.url, SECRETS.sourcePassword) }],
      [['capture'], { PAYSYNC_KAFKA_SASL_PASSWORD: SECRETS.saslPassword }],
      [['capture'], { PAYSYNC_SCHEMA_REGISTRY_URL: secure.PAYSYNC_TEST_REGISTRY_SECURE_URL, PAYSYNC_SCHEMA_REGISTRY_CA_FILE: secure.PAYSYNC_TEST_CA_FILE, PAYSYNC_SCHEMA_REGISTRY_USERNAME: 'paysync', PAYSYNC_SCHEMA_REGISTRY_PASSWORD: SECRETS.registryPassword }],
      [['capture'], { PAYSYNC_SCHEMA_REGISTRY_URL: secure.PAYSYNC_TEST_REGISTRY_SECURE_URL, PAYSYNC_SCHEMA_REGISTRY_CA_FILE: secure.PAYSYNC_TEST_CA_FILE, PAYSYNC_SCHEMA_REGISTRY_TOKEN: SECRETS.registryToken }],
      [['apply'], { PAYSYNC_TARGET_URL: wrongLogin(postgres.url, SECRETS.targetPassword) }],
      [['apply'], { PAYSYNC_TARGET_URL: wrongLogin(mariadb.url, SECRETS.targetPassword) }],
      [['apply'], { PAYSYNC_KAFKA_SASL_PASSWORD: SECRETS.saslPassword }],
      [['replay'], { PAYSYNC_KAFKA_SASL_PASSWORD: SECRETS.saslPassword }],
      [['reconcile', '--once'], { PAYSYNC_TARGET_URL: wrongLogin(mariadb.url, SECRETS.targetPassword) }],
      [['reconcile', '--once'], { PAYSYNC_SOURCE_URL: wrongLogin(source.db.url, SECRETS.sourcePassword) }],
      [['status'], { PAYSYNC_SOURCE_URL: wrongLogin(source.db.url, SECRETS.sourcePassword) }],
      [['snapshot', '--table', 'public.accounts'], { PAYSYNC_SOURCE_URL: wrongLogin(source.db.url, SECRETS.sourcePassword) }],
    ];
    for (const [args, settings] of failing) {
      const { code, output } = runToEnd(args, { ...base, ...settings, PAYSYNC_LOG_LEVEL: 'debug' });
      expect({ args, settings: Object.keys(settings), code }).toEqual({ args, settings: Object.keys(settings), code: 2 });
      // It failed where meant to: the refused setting is named.
      expect(output).toMatch(new RegExp(`^paysync ${args[0]}: PAYSYNC_(${Object.keys(settings).map((k) => k.replace(/^PAYSYNC_/, '').split('_')[0]).join('|')})`, 'm'));
      expectNoSecret(`${args.join(' ')} with ${Object.keys(settings).join(', ')}`, output);
    }
  });

  it('in the logs and /metrics of a running reconciler, and in its answer to a wrong admin token', async () => {
    const reconciler = startPaysync('reconcile', { ...secretSettings(source, postgres), PAYSYNC_LOG_LEVEL: 'debug' });
    processes.push(reconciler);
    await waitUntil(() => `reconciler to serve; output:\n${reconciler.output().slice(-3000)}`, () => reconciler.logs().some((l) => l.msg === 'reconciler running'), 60_000);
    const address = httpAddressOf(reconciler, 'reconciler running');
    const metrics = await (await fetch(`${address}/metrics`)).text();
    const refused = await fetch(`${address}/report`, { headers: { authorization: `Bearer not-${SECRETS.adminToken}` } });
    expect(refused.status).toBe(401);
    const answer = await refused.text();
    reconciler.kill('SIGTERM');
    expect(await reconciler.exited).toBe(0);
    expectNoSecret('reconciler /metrics', metrics);
    expectNoSecret('reconciler /report refused', answer);
    expectNoSecret('reconciler logs', reconciler.output());
  });
});
