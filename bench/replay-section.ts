import { applyEnv } from '../test/support/applied-targets';
import type { CaptureFixture } from '../test/support/capture-fixture';
import { uniqueName } from '../test/support/fixtures';
import { startPaysync } from '../test/support/paysync-process';
import { createScratchPostgresTarget } from '../test/support/target-databases';
import { atCleanup, log } from './bench-run';
import { processUsage, stackCpuText, stackCpuWindow, usageText, type ProcessUsage, type StackCpu } from './process-usage';

export interface ReplayFigure {
  seconds: number;
  usage: ProcessUsage | undefined;
  /** What PostgreSQL (the target's writes) and Kafka (the fetches) burnt meanwhile. */
  stack: StackCpu;
}

/**
 * `paysync replay` of a table's topic from earliest into an empty PostgreSQL database, spawn to
 * exit (it exits once every partition is caught up), with the replay process's CPU and peak RSS
 * sampled while it runs. `rows`: what the table must hold afterwards.
 */
export async function timedReplay(fixture: CaptureFixture, table: string, rows: number, limitMs: number, settings: Record<string, string> = {}): Promise<ReplayFigure> {
  const target = await createScratchPostgresTarget('paysync_bench_replay');
  atCleanup(() => target.drop());
  log(`replay: ${table} from earliest into an empty PostgreSQL database`);
  const started = performance.now();
  const stackCpu = stackCpuWindow();
  const replay = startPaysync('replay', applyEnv(fixture, target, uniqueName('paysync-bench-replay'), [table], { PAYSYNC_REPLAY_FROM: 'earliest', ...settings }));
  let usage: ProcessUsage | undefined;
  const sampler = setInterval(() => (usage = processUsage(replay.child.pid) ?? usage), 200);
  const limit = setTimeout(() => replay.kill('SIGKILL'), limitMs);
  const code = await replay.exited.finally(() => {
    clearInterval(sampler);
    clearTimeout(limit);
  });
  const seconds = (performance.now() - started) / 1000;
  const stack = stackCpu();
  if (code !== 0) throw new Error(`paysync replay ended with ${code} after ${seconds.toFixed(0)} s (limit ${limitMs / 1000} s):\n${replay.output().slice(-3000)}`);
  const [{ n }] = await target.query(`SELECT count(*) AS n FROM ${table}`);
  if (Number(n) !== rows) throw new Error(`paysync replay left ${n} rows in ${table}, expected ${rows}`);
  log(`replay: ${seconds.toFixed(1)} s, ${usageText(usage)}; ${stackCpuText(stack)}`);
  return { seconds, usage, stack };
}
