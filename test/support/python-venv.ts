import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runBounded } from './bounded-run';

/** Where the venvs live: the stack's git-ignored cache, beside Kafka and the registry. */
export const PYTHON_VENV_CACHE = join(__dirname, '..', '..', '.stack', 'cache');

export interface PythonVenv {
  /** The venv's folder: `.stack/cache/<name>-venv`. */
  name: string;
  /** pip requirement specifiers, pinned. */
  requirements: string[];
  /** Python code that imports what is needed and prints its version(s) on one line. */
  probe: string;
  /** What `probe` prints when the venv holds the right versions. */
  expected: string;
  /** Progress lines (creating, installing); silent when not given. */
  log?: (line: string) => void;
  pipTimeoutMs?: number;
}

export function pythonVenvPath(name: string): string {
  return join(PYTHON_VENV_CACHE, `${name}-venv`);
}

/** What the probe prints, or undefined when the venv or an import is missing. */
function probed(python: string, probe: string): string | undefined {
  if (!existsSync(python)) return undefined;
  try {
    return execFileSync(python, ['-c', probe], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/**
 * The venv's python with `requirements` importable, the venv created and pip run first when the
 * probe does not print `expected`; a venv that already holds them is used as it is (idempotent).
 */
export async function pythonWith(venv: PythonVenv): Promise<string> {
  const log = venv.log ?? (() => undefined);
  const folder = pythonVenvPath(venv.name);
  const python = join(folder, 'bin', 'python');
  const found = probed(python, venv.probe);
  if (found === venv.expected) {
    log(`${venv.expected} is installed in ${folder}`);
    return python;
  }
  // pip's own settings (certificates, index) come from the environment.
  const env = { ...process.env };
  if (!existsSync(python)) {
    log(`creating a Python venv in ${folder}`);
    mkdirSync(dirname(folder), { recursive: true });
    await runBounded('python3 -m venv', 'python3', ['-m', 'venv', folder], env, 120_000);
  }
  log(`${found ? `replacing ${found}: ` : ''}pip install ${venv.requirements.map((r) => `'${r}'`).join(' ')}`);
  await runBounded(`pip install into ${folder}`, python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...venv.requirements], env, venv.pipTimeoutMs ?? 20 * 60_000);
  const installed = probed(python, venv.probe);
  if (installed !== venv.expected) throw new Error(`${venv.expected} is not importable in ${folder} after pip install (found ${installed ?? 'none'})`);
  log(`${installed} installed in ${folder}`);
  return python;
}
