import { deadLetterTopic } from '@paysync/contract';
import { partitionOffsets } from '@paysync/kafka';
import { PAYMENTS_COMPARED, PAYMENTS_DDL, PAYMENTS_TABLES, PaymentsWorkload, TOTAL_BALANCE } from '../../../demo/payments-workload';
import { applyEnv, applyInto, waitTargetsEqual, type AppliedTarget } from '../../support/applied-targets';
import { sumOfBalances } from '../../support/balance-watch';
import { CaptureFixture } from '../../support/capture-fixture';
import { httpAddressOf, scrapeMetrics } from '../../support/metrics-scrape';
import { killAll, startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import { createScratchMysqlTarget, createScratchPostgresTarget, type ScratchTarget } from '../../support/target-databases';
import { waitUntil } from '../../support/wait';
import { running, waitEventsSent } from '../capture/ha/replica-health';

export interface OutageSetup {
  /** The server the source is made on, when not the stack's PostgreSQL (a private cluster). */
  sourceAdminUrl?: string;
  /** The Kafka capture writes to and apply reads from, when not the stack's (a private broker). */
  kafkaBrokers?: string;
  /** The registry capture and apply use, when not the stack's (a private one). */
  registryUrl?: string;
  /** Makes the target databases; by default one PostgreSQL and one MariaDB on the stack. */
  targets?: (() => Promise<ScratchTarget>)[];
  /** The load's writers pause and go on when the source cuts them off (a source restart). */
  rideOutOutages?: boolean;
}

/**
 * The whole pipeline under the payments load, for an outage to be survived in place: a source,
 * capture, and an apply per target, all real processes; then the checks every outage ends with.
 */
export class OutagePipeline {
  capture!: PaysyncProcess;
  readonly targets: AppliedTarget[] = [];
  readonly workload: PaymentsWorkload;
  /** Every paysync process started, and those the test stopped itself (none other may exit). */
  private readonly processes: PaysyncProcess[] = [];
  private readonly stoppedByTest = new Set<PaysyncProcess>();
  private readonly env: Record<string, string>;

  private constructor(
    readonly source: CaptureFixture,
    private readonly dbs: ScratchTarget[],
    setup: OutageSetup,
  ) {
    this.workload = new PaymentsWorkload(source.db.pool, { rideOutOutages: setup.rideOutOutages });
    this.env = {
      ...(setup.registryUrl ? { PAYSYNC_SCHEMA_REGISTRY_URL: setup.registryUrl } : {}),
      ...(process.env.PAYSYNC_TEST_LOG_LEVEL ? { PAYSYNC_LOG_LEVEL: process.env.PAYSYNC_TEST_LOG_LEVEL } : {}),
    };
  }

  static async create(setup: OutageSetup = {}): Promise<OutagePipeline> {
    const source = await CaptureFixture.create(PAYMENTS_DDL, setup.sourceAdminUrl, setup.kafkaBrokers);
    const dbs: ScratchTarget[] = [];
    for (const make of setup.targets ?? [createScratchPostgresTarget, () => createScratchMysqlTarget()]) dbs.push(await make());
    return new OutagePipeline(source, dbs, setup);
  }

  /** Capture streaming, an apply per target, the load running, and every target has applied some of each table. */
  async start(writers = 3): Promise<void> {
    this.capture = await this.source.startCaptureStreaming(PAYMENTS_TABLES, this.env);
    this.processes.push(this.capture);
    for (const db of this.dbs) {
      const target = applyInto(this.source, db, PAYMENTS_TABLES, this.env);
      this.targets.push(target);
      this.processes.push(target.apply);
    }
    this.workload.start(writers);
    await waitEventsSent(this.capture, 300, 120_000);
    // Rows of every table: each apply has read every table's schemas from the registry by then.
    for (const target of this.targets) {
      for (const table of PAYMENTS_COMPARED) {
        await waitUntil(
          () => `the ${target.kind} target to apply rows of ${table.name}; apply said:\n${target.apply.output().slice(-3000)}`,
          async () => (await target.db.rows(table)).size > 0,
          120_000,
          500,
        );
      }
    }
  }

  /** SIGTERMs the target's apply and starts a new one in its place (same target, same consumer group). */
  replaceApply(target: AppliedTarget): { old: PaysyncProcess; next: PaysyncProcess } {
    const old = target.apply;
    this.stoppedByTest.add(old);
    old.kill('SIGTERM');
    const next = startPaysync('apply', applyEnv(this.source, target.db, target.groupId, PAYMENTS_TABLES, this.env));
    target.apply = next;
    this.processes.push(next);
    return { old, next };
  }

  /** The processes that ended without the test ending them, with what each said last. */
  exitedByThemselves(): string[] {
    return this.processes
      .filter((p) => !running(p) && !this.stoppedByTest.has(p))
      .map((p) => `exit ${p.child.exitCode ?? p.child.signalCode}:\n${p.output().slice(-3000)}`);
  }

  /**
   * Stops the load, then asserts what every outage must end with: each target equal to the source,
   * money conserved on the source and on each target, no dead letters, and no process gone.
   */
  async expectIntact(timeoutMs = 300_000): Promise<string> {
    await this.workload.stop();
    await waitTargetsEqual(this.source, this.capture, this.targets, PAYMENTS_COMPARED, undefined, timeoutMs);
    const { rows } = await this.source.db.pool.query<{ total: string }>('SELECT sum(balance)::text AS total FROM accounts');
    expect(rows[0].total).toBe(TOTAL_BALANCE);
    for (const target of this.targets) expect(`${target.kind}: ${await sumOfBalances(target.db)}`).toBe(`${target.kind}: ${TOTAL_BALANCE}`);
    const letters: string[] = [];
    for (const target of this.targets) {
      const topic = deadLetterTopic(this.source.prefix, target.groupId);
      const written = (await partitionOffsets(this.source.kafka, topic)).reduce((sum, p) => sum + (p.high - p.low), 0n);
      const metrics = await scrapeMetrics(httpAddressOf(target.apply, 'apply running'));
      const counted = metrics.filter((l) => l.startsWith('paysync_apply_dead_letters_total')).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
      letters.push(`${target.kind}: ${written} in ${topic}, ${counted} counted`);
      expect(letters.at(-1)).toBe(`${target.kind}: 0 in ${topic}, 0 counted`);
    }
    expect(this.exitedByThemselves()).toEqual([]);
    const transactions = `${this.workload.transactions} source transactions (${this.workload.interrupted} cut off)`;
    return `${transactions}; targets equal, sums ${TOTAL_BALANCE}; dead letters ${letters.join(', ')}`;
  }

  /** Ends every process (SIGTERM: applies leave their groups; SIGKILL if one hangs), then removes groups, topics and databases. */
  async cleanup(): Promise<void> {
    await this.workload.stop().catch(() => undefined);
    for (const p of this.processes.filter(running)) p.kill('SIGTERM');
    await waitUntil('every process to end on SIGTERM', () => !this.processes.some(running), 60_000).catch(() => undefined);
    await killAll(this.processes);
    const problems: unknown[] = [];
    for (const step of [() => this.deleteGroups(), () => this.source.cleanup(), ...this.dbs.map((db) => () => db.drop())]) await step().catch((err: unknown) => problems.push(err));
    if (problems.length > 0) throw problems[0];
  }

  /** The applies' consumer groups (a killed member holds its group until its session times out). */
  private async deleteGroups(): Promise<void> {
    const admin = this.source.kafka.admin();
    await admin.connect();
    try {
      const groups = new Set(this.targets.map((t) => t.groupId));
      await waitUntil(
        () => `consumer groups ${[...groups].join(', ')} to be deleted`,
        async () => {
          const left = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => groups.has(g));
          if (left.length > 0) await admin.deleteGroups(left);
          return left.length === 0;
        },
        90_000,
        2000,
      );
    } finally {
      await admin.disconnect();
    }
  }
}
