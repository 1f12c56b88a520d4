import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, integer, kafkaSettings, list, loadConfig, oneOf, optional, sourceSettings, url } from './index';

const settings = {
  ...sourceSettings,
  ...kafkaSettings,
  port: integer('PAYSYNC_HTTP_PORT', { description: 'port', default: 8080, min: 0, max: 65535 }),
  mode: oneOf('PAYSYNC_APPLY_MODE', ['parallel', 'transactional'] as const, { description: 'mode', default: 'parallel' }),
  webhook: optional(url('PAYSYNC_WEBHOOK_URL', { description: 'webhook', protocols: ['https:'] })),
};

const valid = {
  PAYSYNC_SOURCE_URL: 'postgres://u:supersecret@db:5432/pay',
  PAYSYNC_TABLES: 'public.accounts, public.transfers',
  PAYSYNC_KAFKA_BROKERS: '127.0.0.1:9092',
  PAYSYNC_SCHEMA_REGISTRY_URL: 'http://registry:8080/apis/ccompat/v7',
};

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function problemsOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('returns typed values with defaults applied', () => {
    const config = loadConfig(settings, { env: valid });
    expect(config.tables).toEqual(['public.accounts', 'public.transfers']);
    expect(config.port).toBe(8080);
    expect(config.mode).toBe('parallel');
    expect(config.topicPrefix).toBe('paysync');
    expect(config.webhook).toBeUndefined();
  });

  it('names every missing setting at once, with an example', () => {
    const error = problemsOf(() => loadConfig(settings, { env: {} }));
    expect(error.problems.map((p) => p.env).sort()).toEqual(
      ['PAYSYNC_KAFKA_BROKERS', 'PAYSYNC_SCHEMA_REGISTRY_URL', 'PAYSYNC_SOURCE_URL', 'PAYSYNC_TABLES'].sort(),
    );
    expect(error.message).toMatch(/PAYSYNC_SOURCE_URL is required: .*Example: postgres:\/\//);
  });

  it('says what is wrong with an invalid value and never echoes a secret', () => {
    const error = problemsOf(() =>
      loadConfig(settings, {
        env: { ...valid, PAYSYNC_SOURCE_URL: 'mysql://u:supersecret@db/pay', PAYSYNC_HTTP_PORT: '99999', PAYSYNC_APPLY_MODE: 'fast', PAYSYNC_TABLES: 'accounts' },
      }),
    );
    expect(error.message).toContain('PAYSYNC_SOURCE_URL=(secret value hidden) must start with postgres:// or postgresql://');
    expect(error.message).toContain('PAYSYNC_HTTP_PORT="99999" must be between 0 and 65535');
    expect(error.message).toContain('PAYSYNC_APPLY_MODE="fast" must be one of: parallel, transactional');
    expect(error.message).toContain('item "accounts" must be schema.table');
    expect(error.message).not.toContain('supersecret');
  });

  it('reads a JSON file, lets the environment win, and flags unknown keys in the file', () => {
    const dir = tempDir('paysync-config-');
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ ...valid, PAYSYNC_TABLES: ['public.a', 'public.b'], PAYSYNC_HTTP_PORT: 9000 }));
    const config = loadConfig(settings, { env: { PAYSYNC_CONFIG_FILE: file, PAYSYNC_HTTP_PORT: '9100' } });
    expect(config.tables).toEqual(['public.a', 'public.b']);
    expect(config.port).toBe(9100);

    writeFileSync(file, JSON.stringify({ ...valid, PAYSYNC_TABELS: 'x.y' }));
    expect(problemsOf(() => loadConfig(settings, { file, env: {} })).message).toContain('PAYSYNC_TABELS in');
    writeFileSync(file, '{not json');
    expect(problemsOf(() => loadConfig(settings, { file, env: {} })).message).toContain('is not valid JSON');
  });

  it('reads a secret from <SETTING>_FILE', () => {
    const dir = tempDir('paysync-secret-');
    writeFileSync(join(dir, 'url'), 'postgres://u:p@db/pay\n');
    const env = { ...valid, PAYSYNC_SOURCE_URL: undefined, PAYSYNC_SOURCE_URL_FILE: join(dir, 'url') };
    expect(loadConfig(settings, { env }).sourceUrl).toBe('postgres://u:p@db/pay');
    const missing = { ...env, PAYSYNC_SOURCE_URL_FILE: join(dir, 'nope') };
    expect(problemsOf(() => loadConfig(settings, { env: missing })).message).toContain('PAYSYNC_SOURCE_URL_FILE names');
  });

  it('rejects malformed lists', () => {
    const s = { l: list('PAYSYNC_X', { description: 'x' }) };
    expect(problemsOf(() => loadConfig(s, { env: { PAYSYNC_X: 'a,,b' } })).message).toContain('empty items');
  });
});
