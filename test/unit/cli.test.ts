import { main } from '@paysync/cli';

function capture(stream: 'stdout' | 'stderr'): { text: () => string; restore: () => void } {
  const chunks: string[] = [];
  const spy = jest.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  return { text: () => chunks.join(''), restore: () => spy.mockRestore() };
}

describe('paysync CLI', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    for (const key of Object.keys(process.env)) if (key.startsWith('PAYSYNC_')) delete process.env[key];
  });
  afterAll(() => {
    process.env = saved;
  });

  it('--help lists every command', async () => {
    const out = capture('stdout');
    const code = await main(['--help']);
    out.restore();
    expect(code).toBe(0);
    for (const name of ['capture', 'apply', 'reconcile', 'replay', 'status', 'snapshot']) expect(out.text()).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it('each command has --help listing its settings', async () => {
    const out = capture('stdout');
    const code = await main(['capture', '--help']);
    out.restore();
    expect(code).toBe(0);
    expect(out.text()).toContain('PAYSYNC_SOURCE_URL');
    expect(out.text()).toContain('PAYSYNC_SLOT  [paysync]');
  });

  it('capture with no configuration exits non-zero and names the missing settings', async () => {
    const err = capture('stderr');
    const code = await main(['capture']);
    err.restore();
    expect(code).not.toBe(0);
    for (const env of ['PAYSYNC_SOURCE_URL', 'PAYSYNC_TABLES', 'PAYSYNC_KAFKA_BROKERS', 'PAYSYNC_SCHEMA_REGISTRY_URL']) {
      expect(err.text()).toContain(`${env} is required`);
    }
  });

  it('MariaDB stays one-way: refused as a capture source and as a bidirectional target (exit 2, naming the setting)', async () => {
    const common = { PAYSYNC_TABLES: 'public.accounts', PAYSYNC_KAFKA_BROKERS: '127.0.0.1:1', PAYSYNC_SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1' };
    Object.assign(process.env, common, { PAYSYNC_SOURCE_URL: 'mysql://u:p@127.0.0.1:1/payments' });
    let err = capture('stderr');
    expect(await main(['capture'])).toBe(2);
    err.restore();
    expect(err.text()).toContain('PAYSYNC_SOURCE_URL=(secret value hidden) must start with postgres:// or postgresql://');
    Object.assign(process.env, { PAYSYNC_TARGET_URL: 'mariadb://u:p@127.0.0.1:1/payments', PAYSYNC_GROUP_ID: 'g', PAYSYNC_BIDIRECTIONAL: 'true' });
    err = capture('stderr');
    expect(await main(['apply'])).toBe(2);
    err.restore();
    expect(err.text()).toContain('PAYSYNC_BIDIRECTIONAL bidirectional sync needs a PostgreSQL target (MariaDB and MySQL are one-way targets only)');
  });

  it('an unknown command is a usage error', async () => {
    const err = capture('stderr');
    expect(await main(['captur'])).toBe(2);
    err.restore();
    expect(err.text()).toContain('unknown command "captur"');
  });

  it('settings --markdown gives one table row per setting', async () => {
    const out = capture('stdout');
    await main(['settings', '--markdown']);
    out.restore();
    const rows = out.text().split('\n').filter((l) => l.startsWith('| `PAYSYNC_'));
    expect(rows.length).toBe(new Set(rows.map((r) => r.split('|')[1])).size);
    expect(out.text()).toContain('| `PAYSYNC_TABLES` | (required) | capture, apply, reconcile, replay, snapshot, drill |');
  });
});
