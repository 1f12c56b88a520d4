import { spawn } from 'node:child_process';

/**
 * Runs a program to completion within `timeoutMs` (then kills it): resolves with its wall time
 * (spawn to exit) and its stdout; rejects with its stderr when it fails.
 */
export function runBounded(step: string, file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ seconds: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      reject(new Error(`${step}: not done after ${Math.round(timeoutMs / 1000)} s, killed; stderr:\n${stderr.slice(-3000)}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${step}: could not run ${file}: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ seconds: (Date.now() - started) / 1000, stdout });
      else reject(new Error(`${step}: ${file} exited with ${code ?? signal}; stderr:\n${stderr.slice(-3000)}`));
    });
  });
}
