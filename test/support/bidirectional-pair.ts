import { pgRows, type ComparedTable } from '../../demo/compare-rows';
import { PAYMENTS_COMPARED, PAYMENTS_DDL, PAYMENTS_TABLES } from '../../demo/payments-workload';
import { CaptureFixture } from './capture-fixture';
import { applyEnv, tableDifferences } from './applied-targets';
import { uniqueName } from './fixtures';
import { killAll, startPaysync, type PaysyncProcess } from './paysync-process';
import type { ScratchTarget } from './target-databases';
import { waitUntil } from './wait';

export type Side = 'a' | 'b';

/** A captured database seen as an apply target (it is dropped with its fixture). */
function asTarget(side: CaptureFixture): ScratchTarget {
  return {
    kind: 'postgres',
    url: side.db.url,
    rows: (table) => pgRows(side.db.pool, table),
    query: async (sql) => (await side.db.pool.query(sql)).rows,
    drop: async () => undefined,
  };
}

/**
 * Two PostgreSQL databases kept in step both ways (docs/bidirectional.md): a capture of each with
 * PAYSYNC_SKIP_APPLIED_CHANGES, an apply into each from the other's topics with
 * PAYSYNC_BIDIRECTIONAL. Removes its processes, topics, subjects, databases and origins.
 */
export class BidirectionalPair {
  readonly groups: Record<Side, string> = { a: uniqueName('paysync-apply-into-a'), b: uniqueName('paysync-apply-into-b') };
  readonly captures: Partial<Record<Side, PaysyncProcess>> = {};
  readonly applies: Partial<Record<Side, PaysyncProcess>> = {};
  private readonly processes: PaysyncProcess[] = [];

  private constructor(
    readonly a: CaptureFixture,
    readonly b: CaptureFixture,
    readonly tables: string[],
  ) {}

  /** `ddlA` makes and fills A; `ddlB` makes B (empty: the A -> B apply fills it). */
  static async create(ddlA: string[], ddlB: string[], tables: string[]): Promise<BidirectionalPair> {
    const a = await CaptureFixture.create(ddlA);
    const b = await CaptureFixture.create(ddlB);
    return new BidirectionalPair(a, b, tables);
  }

  /** The payments pair (PAYMENTS_DDL_A and _B), all four processes running, A and B equal. */
  static async runningPayments(): Promise<BidirectionalPair> {
    const pair = await BidirectionalPair.create(PAYMENTS_DDL_A, PAYMENTS_DDL_B, PAYMENTS_TABLES);
    try {
      await pair.startAll();
      await pair.waitEqual(PAYMENTS_COMPARED);
    } catch (err) {
      await pair.cleanup();
      throw err;
    }
    return pair;
  }

  side(side: Side): CaptureFixture {
    return side === 'a' ? this.a : this.b;
  }

  other(side: Side): Side {
    return side === 'a' ? 'b' : 'a';
  }

  target(side: Side): ScratchTarget {
    return asTarget(this.side(side));
  }

  async startCapture(side: Side, extra: Record<string, string> = {}): Promise<PaysyncProcess> {
    const capture = await this.side(side).startCaptureStreaming(this.tables, { PAYSYNC_SKIP_APPLIED_CHANGES: 'true', ...extra });
    this.captures[side] = capture;
    this.processes.push(capture);
    return capture;
  }

  /** The apply writing into `side`, from the other side's topics. */
  startApply(into: Side, extra: Record<string, string> = {}): PaysyncProcess {
    const env = applyEnv(this.side(this.other(into)), this.target(into), this.groups[into], this.tables, {
      PAYSYNC_BIDIRECTIONAL: 'true',
      ...(process.env.PAYSYNC_TEST_LOG_LEVEL ? { PAYSYNC_LOG_LEVEL: process.env.PAYSYNC_TEST_LOG_LEVEL } : {}),
      ...extra,
    });
    const apply = startPaysync('apply', env);
    this.applies[into] = apply;
    this.processes.push(apply);
    return apply;
  }

  /** Captures first, so B's initial snapshot finds B empty and all the A -> B apply writes is tagged. */
  async startAll(applyExtra: Partial<Record<Side, Record<string, string>>> = {}): Promise<void> {
    await this.startCapture('b');
    await this.startCapture('a');
    this.startApply('b', applyExtra.b);
    this.startApply('a', applyExtra.a);
  }

  /** Stops the apply into `side` (SIGTERM, graceful) and waits for it. */
  async stopApply(into: Side): Promise<void> {
    const apply = this.applies[into];
    if (!apply) return;
    apply.kill('SIGTERM');
    await apply.exited;
  }

  conflictTopic(into: Side): string {
    return `${this.side(this.other(into)).prefix}.conflicts.${this.groups[into]}`;
  }

  async differences(tables: ComparedTable[]): Promise<string[]> {
    const problems: string[] = [];
    for (const table of tables) problems.push(...(await tableDifferences(this.a, this.target('b'), table)));
    return problems;
  }

  /** Waits until both slots confirmed every write so far and A and B hold the same rows. */
  async waitEqual(tables: ComparedTable[], timeoutMs = 180_000): Promise<void> {
    let last: string[] = [];
    await waitUntil(
      () => `A and B to be equal; differences:\n${last.slice(0, 10).join('\n')}\n${this.tail()}`,
      async () => {
        for (const side of ['a', 'b'] as const) {
          const capture = this.captures[side];
          if (capture) await this.side(side).waitCaughtUp(capture, timeoutMs);
        }
        last = await this.differences(tables);
        return last.length === 0;
      },
      timeoutMs,
      500,
    );
  }

  tail(): string {
    return (['a', 'b'] as const)
      .flatMap((s) => [`capture ${s}:\n${this.captures[s]?.output().slice(-1500) ?? ''}`, `apply into ${s}:\n${this.applies[s]?.output().slice(-1500) ?? ''}`])
      .join('\n');
  }

  async cleanup(): Promise<void> {
    await killAll(this.processes);
    // Origins are the server's, not a database's: the groups' go with the test, once their sessions ended.
    await waitUntil(
      () => 'the apply sessions to end and their replication origins to be dropped',
      async () => {
        try {
          await this.a.db.pool.query(`SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE split_part(roname, '.', 3) IN ($1, $2)`, [this.groups.a, this.groups.b]);
          return true;
        } catch {
          return false;
        }
      },
      30_000,
      200,
    );
    await this.a.cleanup();
    await this.b.cleanup();
  }
}

const FULL_IDENTITY = PAYMENTS_TABLES.map((t) => `ALTER TABLE ${t} REPLICA IDENTITY FULL`);

/** A: the payments tables with their accounts. */
export const PAYMENTS_DDL_A = [...PAYMENTS_DDL, ...FULL_IDENTITY];

/**
 * B: the same tables, empty; sequences are not replicated, so B's ids start far from A's (a
 * migration gives each side its own range the same way).
 */
export const PAYMENTS_DDL_B = [
  ...PAYMENTS_DDL.filter((s) => !s.startsWith('INSERT')),
  ...FULL_IDENTITY,
  'ALTER SEQUENCE transfers_id_seq RESTART WITH 1000000000',
  'ALTER SEQUENCE ledger_id_seq RESTART WITH 1000000000',
];
