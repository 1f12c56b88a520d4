import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntil } from './wait';

const CLI = join(__dirname, '..', '..', 'services', 'cli', 'bin', 'paysync.js');

export interface PaysyncProcess {
  readonly child: ChildProcess;
  /** Everything it wrote so far (JSON log lines and plain errors). */
  output(): string;
  /** Parsed JSON log lines. */
  logs(): Record<string, unknown>[];
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
  /** Peak resident memory so far, in bytes (VmHWM), while it runs. */
  peakRssBytes(): number;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Runs `paysync <command>` as a real child process (the built CLI, as users run it), so a test can
 * SIGKILL it at any instant. Needs `npm run build` (done by `npm test` before jest).
 */
export function startPaysync(command: string, env: Record<string, string>, args: string[] = []): PaysyncProcess {
  const child = spawn(process.execPath, [CLI, command, ...args], {
    env: { PATH: process.env.PATH ?? '', PAYSYNC_HTTP_PORT: '0', PAYSYNC_HTTP_HOST: '127.0.0.1', PAYSYNC_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  let peak = 0;
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    exited,
    output: () => text,
    logs: () =>
      text
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    peakRssBytes: () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
        peak = Math.max(peak, kb * 1024);
      } catch {
        // exited: keep the last reading
      }
      return peak;
    },
    kill: (signal) => {
      child.kill(signal);
    },
  };
}

/** Asserts the process ended by our SIGKILL, not on its own before it (then its output says why). */
export async function expectKilled(child: PaysyncProcess): Promise<void> {
  const exit = await child.exited;
  if (exit !== 'SIGKILL') throw new Error(`expected to end it with SIGKILL, but it had exited on its own (${exit}); its output:\n${child.output().slice(-4000)}`);
}

/** Waits (generously) for the process to end by itself and returns its exit code. */
export async function exitedByItself(child: PaysyncProcess, what: string, timeoutMs = 120_000): Promise<number | string> {
  await waitUntil(() => `${what} to exit; output:\n${child.output().slice(-3000)}`, () => child.child.exitCode !== null || child.child.signalCode !== null, timeoutMs);
  return child.exited;
}

/** SIGKILLs every process of the list still running and waits for each (test clean-up). */
export async function killAll(processes: PaysyncProcess[]): Promise<void> {
  for (const p of processes) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.kill('SIGKILL');
      await p.exited;
    }
  }
}
