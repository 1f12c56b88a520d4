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
