import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Where a program of Debian's prometheus package is on PATH. `npm run stack:up` installs the
 * package (the stack starts no Prometheus: each test runs its own).
 */
export function prometheusProgram(name: 'prometheus' | 'promtool'): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`${name} is not on PATH: run \`npm run stack:up\`, which installs Debian's prometheus package`);
}
