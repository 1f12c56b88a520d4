import { pgRows, rowDifferences, type ComparedTable } from '../../demo/compare-rows';
import type { CaptureFixture } from './capture-fixture';
import { uniqueName } from './fixtures';
import { startPaysync, type PaysyncProcess } from './paysync-process';
import { stackAddresses } from './stack-addresses';
import { createScratchMysqlTarget, createScratchPostgresTarget, type ScratchTarget } from './target-databases';
import { waitUntil } from './wait';

/** A scratch target with its own apply process (and consumer group) reading the source's topics. */
export interface AppliedTarget {
  kind: 'postgres' | 'mysql';
  db: ScratchTarget;
  apply: PaysyncProcess;
  groupId: string;
}

/** Settings of an apply (or replay) of the captured source's topics of `tables` into `target`. */
export function applyEnv(source: CaptureFixture, target: ScratchTarget, groupId: string, tables: string[], extra: Record<string, string> = {}): Record<string, string> {
  const stack = stackAddresses();
  return {
    PAYSYNC_TARGET_URL: target.url,
    PAYSYNC_GROUP_ID: groupId,
    PAYSYNC_TABLES: tables.join(','),
    PAYSYNC_KAFKA_BROKERS: source.kafkaBrokers,
    PAYSYNC_SCHEMA_REGISTRY_URL: stack.PAYSYNC_TEST_REGISTRY_URL,
    PAYSYNC_TOPIC_PREFIX: source.prefix,
    ...extra,
  };
}

/** Targets (by default one PostgreSQL and one MariaDB), each applied from the captured source's topics of `tables`. */
export async function startAppliedTargets(
  source: CaptureFixture,
  tables: string[],
  kinds: AppliedTarget['kind'][] = ['postgres', 'mysql'],
  applySettings: Record<string, string> | ((kind: AppliedTarget['kind']) => Record<string, string>) = {},
): Promise<AppliedTarget[]> {
  const targets: AppliedTarget[] = [];
  for (const kind of kinds) {
    const db = kind === 'postgres' ? await createScratchPostgresTarget() : await createScratchMysqlTarget();
    targets.push(applyInto(source, db, tables, typeof applySettings === 'function' ? applySettings(kind) : applySettings));
  }
  return targets;
}

/** An apply of its own (a new consumer group) into `db` from the captured source's topics of `tables`. */
export function applyInto(source: CaptureFixture, db: ScratchTarget, tables: string[], applySettings: Record<string, string> = {}): AppliedTarget {
  const groupId = uniqueName(`paysync-apply-${db.kind}`);
  const apply = startPaysync('apply', applyEnv(source, db, groupId, tables, applySettings));
  return { kind: db.kind, db, apply, groupId };
}

/** Stops each apply and drops its target database. */
export async function removeAppliedTargets(targets: AppliedTarget[]): Promise<void> {
  for (const { apply, db } of targets) {
    apply.kill('SIGKILL');
    await apply.exited;
    await db.drop();
  }
}

/** Source rows of `table` against the target's copy (named `targetName`: schema.table, or the bare table on MariaDB). */
export async function tableDifferences(source: CaptureFixture, target: ScratchTarget, table: ComparedTable, targetName = table.name): Promise<string[]> {
  const differences = rowDifferences(await pgRows(source.db.pool, table), await target.rows({ ...table, name: targetName }));
  return differences.map((d) => `${target.kind} ${targetName}: ${d}`);
}

/**
 * Waits until capture confirmed every source write so far and each target holds exactly the
 * source's rows of `tables` (`targetName` gives a mapped name per target).
 */
export async function waitTargetsEqual(
  source: CaptureFixture,
  capture: PaysyncProcess,
  targets: AppliedTarget[],
  tables: ComparedTable[],
  targetName: (target: AppliedTarget, table: ComparedTable) => string = (_t, table) => table.name,
  timeoutMs = 120_000,
): Promise<void> {
  await source.waitCaughtUp(capture, timeoutMs);
  for (const target of targets) {
    let last: string[] = [];
    await waitUntil(
      () => `${target.kind} target to equal the source; differences:\n${last.join('\n')}\napply said:\n${target.apply.output().slice(-3000)}`,
      async () => {
        last = [];
        for (const table of tables) last.push(...(await tableDifferences(source, target.db, table, targetName(target, table))));
        return last.length === 0;
      },
      timeoutMs,
      500,
    );
  }
}
