import { CaptureFixture } from './capture-fixture';
import { killAll, startPaysync, type PaysyncProcess } from './paysync-process';
import { PAYMENTS_COMPARED, PAYMENTS_DDL, PAYMENTS_TABLES } from '../../demo/payments-workload';
import { applyEnv, tableDifferences } from './applied-targets';
import { createScratchMysqlTarget, createScratchPostgresTarget, type ScratchTarget } from './target-databases';
import { waitUntil } from './wait';
import { uniqueName } from './fixtures';

/** Source (the payments schema) -> capture -> Kafka -> apply -> a scratch target, all real processes. */
export class PipelineFixture {
  readonly groupId = uniqueName('paysync-apply');
  private readonly processes: PaysyncProcess[] = [];

  private constructor(
    readonly capture: CaptureFixture,
    readonly target: ScratchTarget,
  ) {}

  /** `sourceAdminUrl`: the server to make the source on, when not the stack's (a private cluster). */
  static async create(targetKind: 'postgres' | 'mysql', sourceAdminUrl?: string): Promise<PipelineFixture> {
    const capture = await CaptureFixture.create(PAYMENTS_DDL, sourceAdminUrl);
    const target = targetKind === 'postgres' ? await createScratchPostgresTarget() : await createScratchMysqlTarget();
    return new PipelineFixture(capture, target);
  }

  applyEnv(extra: Record<string, string> = {}): Record<string, string> {
    return applyEnv(this.capture, this.target, this.groupId, PAYMENTS_TABLES, {
      ...(process.env.PAYSYNC_TEST_LOG_LEVEL ? { PAYSYNC_LOG_LEVEL: process.env.PAYSYNC_TEST_LOG_LEVEL } : {}),
      ...extra,
    });
  }

  startCapture(extra: Record<string, string> = {}): Promise<PaysyncProcess> {
    return this.capture.startCaptureStreaming(PAYMENTS_TABLES, extra);
  }

  startApply(extra: Record<string, string> = {}): PaysyncProcess {
    const apply = startPaysync('apply', this.applyEnv(extra));
    this.processes.push(apply);
    return apply;
  }

  runReplay(extra: Record<string, string> = {}): PaysyncProcess {
    const replay = startPaysync('replay', this.applyEnv(extra));
    this.processes.push(replay);
    return replay;
  }

  /** Differences between source and target over the payments tables (empty when equal). */
  async differences(target: ScratchTarget = this.target): Promise<string[]> {
    const problems: string[] = [];
    for (const table of PAYMENTS_COMPARED) problems.push(...(await tableDifferences(this.capture, target, table)));
    return problems;
  }

  /** Waits until capture confirmed all source writes and the target equals the source. */
  async waitEqual(capture: PaysyncProcess, timeoutMs = 180_000): Promise<void> {
    await this.capture.waitCaughtUp(capture, timeoutMs);
    let last: string[] = [];
    await waitUntil(
      () => `target to equal source; differences:\n${last.slice(0, 10).join('\n')}\napply problems:\n${this.applyProblems().join('\n')}`,
      async () => {
        last = await this.differences();
        return last.length === 0;
      },
      timeoutMs,
      500,
    );
  }

  /** Every distinct warning and error the apply processes logged (dead letters, retries), for failure messages. */
  applyProblems(): string[] {
    const seen = new Set<string>();
    for (const p of this.processes) {
      for (const line of p.logs()) {
        if (line.level !== 'warn' && line.level !== 'error' && line.level !== 'fatal') continue;
        if (String(line.component ?? '').startsWith('kafkajs')) continue;
        const err = line.err as { message?: string } | undefined;
        seen.add(`${String(line.level)}: ${String(line.msg)}${err?.message ? `: ${err.message}` : ''}${line.deadLetters ? ` (${String(line.deadLetters)})` : ''}`);
      }
    }
    return [...seen].slice(0, 30);
  }

  async cleanup(): Promise<void> {
    await killAll(this.processes);
    await this.capture.cleanup();
    await this.target.drop();
  }
}
