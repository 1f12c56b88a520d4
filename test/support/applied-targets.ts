import type { CaptureFixture } from './capture-fixture';
import { uniqueName } from './fixtures';
import { startPaysync, type PaysyncProcess } from './paysync-process';
import { stackAddresses } from './stack-addresses';
import { createScratchMysqlTarget, createScratchPostgresTarget, type ScratchTarget } from './target-databases';

/** A scratch target with its own apply process (and consumer group) reading the source's topics. */
export interface AppliedTarget {
  kind: 'postgres' | 'mysql';
  db: ScratchTarget;
  apply: PaysyncProcess;
  groupId: string;
}

/** Targets (by default one PostgreSQL and one MariaDB), each applied from the captured source's topics of `tables`. */
export async function startAppliedTargets(source: CaptureFixture, tables: string[], kinds: AppliedTarget['kind'][] = ['postgres', 'mysql'], applySettings: Record<string, string> = {}): Promise<AppliedTarget[]> {
  const stack = stackAddresses();
  const targets: AppliedTarget[] = [];
  for (const kind of kinds) {
    const db = kind === 'postgres' ? await createScratchPostgresTarget() : await createScratchMysqlTarget();
    const groupId = uniqueName(`paysync-apply-${kind}`);
    const apply = startPaysync('apply', {
      PAYSYNC_TARGET_URL: db.url,
      PAYSYNC_GROUP_ID: groupId,
      PAYSYNC_TABLES: tables.join(','),
      PAYSYNC_KAFKA_BROKERS: stack.PAYSYNC_TEST_KAFKA_BROKERS,
      PAYSYNC_SCHEMA_REGISTRY_URL: stack.PAYSYNC_TEST_REGISTRY_URL,
      PAYSYNC_TOPIC_PREFIX: source.prefix,
      ...applySettings,
    });
    targets.push({ kind, db, apply, groupId });
  }
  return targets;
}

/** Stops each apply and drops its target database. */
export async function removeAppliedTargets(targets: AppliedTarget[]): Promise<void> {
  for (const { apply, db } of targets) {
    apply.kill('SIGKILL');
    await apply.exited;
    await db.drop();
  }
}
