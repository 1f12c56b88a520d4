import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Where a program of Debian's prometheus (or prometheus-pushgateway) package is on PATH. `npm run
 * stack:up` installs the packages (the stack starts neither: each test runs its own).
 */
export function prometheusProgram(name: 'prometheus' | 'promtool' | 'prometheus-pushgateway'): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`${name} is not on PATH: run \`npm run stack:up\`, which installs Debian's prometheus and prometheus-pushgateway packages`);
}

/** SIGTERM, then SIGKILL if the program is still there after `graceMs`; resolves once it exited. */
export async function stopProgram(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
