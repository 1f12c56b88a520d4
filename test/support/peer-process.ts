import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';

/**
 * A process of another system (Kafka Connect, pgstream) run beside paysync; its output goes to a
 * log file (a JVM or Go process writes too much to keep in memory).
 */
export interface PeerProcess {
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | string>;
}

export function startPeer(file: string, argv: string[], logFile: string, cwd: string): PeerProcess {
  const out = openSync(logFile, 'a');
  const child = spawn(file, argv, { cwd, stdio: ['ignore', out, out] });
  closeSync(out);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, logFile, exited };
}

function tail(file: string, chars = 3000): string {
  return existsSync(file) ? readFileSync(file, 'utf8').slice(-chars) : '(no output)';
}

export function failIfPeerExited(name: string, peer: PeerProcess): void {
  const exit = peer.child.exitCode ?? peer.child.signalCode;
  if (exit !== null) throw new Error(`${name} exited (${exit}):\n${tail(peer.logFile)}`);
}

/** The log's lines that are warnings or errors, the last `count` of them (its run folder is removed afterwards). */
export function logProblems(logFile: string, count = 15): string[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => /\b(ERROR|WARN|error|warn|ERR|WRN)\b/.test(l))
    .slice(-count)
    .map((l) => l.slice(0, 600));
}

/** The error with the warnings and errors of the peer's log. */
export function withLog(err: unknown, logFile: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (!existsSync(logFile)) return new Error(message);
  return new Error(`${message}\nlast warnings and errors in ${logFile}:\n${logProblems(logFile).join('\n') || '(none)'}`);
}

/** SIGTERM (a clean shutdown: a sink leaves its consumer group), SIGKILL after `graceMs`. */
export async function stopPeer(peer: PeerProcess | undefined, graceMs = 15_000): Promise<void> {
  if (!peer || peer.child.exitCode !== null || peer.child.signalCode !== null) return;
  peer.child.kill('SIGTERM');
  const timer = setTimeout(() => peer.child.kill('SIGKILL'), graceMs);
  await peer.exited;
  clearTimeout(timer);
}
