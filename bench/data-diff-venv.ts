import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { log } from './bench-run';
import { runBounded } from './run-program';

export const DATA_DIFF_VERSION = '0.11.2';

/**
 * What pip installs. data-diff 0.11.2 (its last release) leaves dbt-core and pydantic open; the
 * newest of them break it: dbt-core 1.8+ pulls a parser whose build downloads a wheel from outside
 * the package registry, and data-diff uses the pydantic 1 API. The MySQL driver stays on the major
 * version data-diff was released against.
 */
const REQUIREMENTS = [`data-diff[postgresql,mysql]==${DATA_DIFF_VERSION}`, 'dbt-core>=1.7,<1.8', 'pydantic>=1.10.12,<2', 'mysql-connector-python>=8.0.29,<9'];

/** Kept in the stack's git-ignored cache, beside Kafka and the registry. */
export const DATA_DIFF_VENV = join(__dirname, '..', '.stack', 'cache', 'data-diff-venv');

const PIP_TIMEOUT_MS = 20 * 60_000;

function installedVersion(python: string): string | undefined {
  if (!existsSync(python)) return undefined;
  try {
    return execFileSync(python, ['-c', 'import psycopg2, mysql.connector; from data_diff.version import __version__; print(__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The venv's python with data-diff and its PostgreSQL and MySQL drivers, installed first if missing. */
export async function dataDiffPython(): Promise<string> {
  const python = join(DATA_DIFF_VENV, 'bin', 'python');
  const found = installedVersion(python);
  if (found === DATA_DIFF_VERSION) {
    log(`data-diff ${found} is installed in ${DATA_DIFF_VENV}`);
    return python;
  }
  // pip's own settings (certificates, index) come from the environment.
  const env = { ...process.env };
  if (!existsSync(python)) {
    log(`creating a Python venv in ${DATA_DIFF_VENV}`);
    await runBounded('python3 -m venv', 'python3', ['-m', 'venv', DATA_DIFF_VENV], env, 120_000);
  }
  log(`${found ? `replacing data-diff ${found}: ` : ''}pip install ${REQUIREMENTS.map((r) => `'${r}'`).join(' ')} (a few minutes)`);
  await runBounded('pip install data-diff', python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...REQUIREMENTS], env, PIP_TIMEOUT_MS);
  const installed = installedVersion(python);
  if (installed !== DATA_DIFF_VERSION) throw new Error(`data-diff ${DATA_DIFF_VERSION} is not importable in ${DATA_DIFF_VENV} after pip install (found ${installed ?? 'none'})`);
  log(`data-diff ${installed} installed in ${DATA_DIFF_VENV}`);
  return python;
}
