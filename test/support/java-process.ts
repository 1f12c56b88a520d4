import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The java the stack runs its JVMs with: $JAVA_HOME's, else the one on PATH (scripts/stack/lib.sh find_java). */
export function java(): string {
  const home = process.env.JAVA_HOME;
  return home && existsSync(join(home, 'bin', 'java')) ? join(home, 'bin', 'java') : 'java';
}

/** Starts a JVM of a test's own; everything it prints is appended to `log` (a JVM prints too much to keep in memory). */
export function spawnJava(args: string[], log: string, options: Pick<SpawnOptions, 'cwd' | 'env'> = {}): ChildProcess {
  writeFileSync(log, '');
  const child = spawn(java(), args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => writeFileSync(log, chunk, { flag: 'a' }));
  child.stderr?.on('data', (chunk: Buffer) => writeFileSync(log, chunk, { flag: 'a' }));
  return child;
}

/** SIGKILLs the process (no clean shutdown) and resolves once it has exited; at once when it had already. */
export async function killAndWait(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}
