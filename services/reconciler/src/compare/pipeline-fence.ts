import { topicName, transactionTopicName } from '@paysync/contract';
import { partitionOffsets, type Kafka, type PartitionOffsets } from '@paysync/kafka';
import { lsnToBigInt, type Pool } from '@paysync/postgres';
import { readAppliedOffsets, type AppliedOffset } from '../sides/applied-offsets';
import type { SqlRunner } from '../sides/sql-side';

/** How to see that apply has applied everything in Kafka: its group's offsets stored in the target. */
export interface ApplyProgress {
  kafka: Kafka;
  groupId: string;
  topicPrefix: string;
  target: SqlRunner;
}

export interface FenceOptions {
  /** Capture's slot: everything the source committed before the fence is in Kafka once it confirmed past it. */
  slot?: string;
  /** Apply's progress: everything in Kafka at the fence is in the target once apply stored offsets past it. */
  apply?: ApplyProgress;
  timeoutMs: number;
  pollMs?: number;
}

/**
 * The fence of a re-check (DESIGN.md 5): waits until every change the source committed before the
 * call has gone through capture and through apply, so a key read from the target afterwards shows
 * at least those changes. Answers undefined when passed, or why it was not (the caller then treats
 * its differences as unsettled, never as drift).
 */
export class PipelineFence {
  constructor(
    private readonly sourcePool: Pool,
    private readonly options: FenceOptions,
  ) {}

  async pass(table: string): Promise<string | undefined> {
    const { slot, apply, timeoutMs } = this.options;
    const deadline = Date.now() + timeoutMs;
    // The insert position covers commits not yet flushed (asynchronous commit) that a reader already sees.
    const { rows } = await this.sourcePool.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    const lsn = rows[0].lsn;
    if (slot && !(await this.waitUntil(deadline, () => this.slotConfirmed(slot, lsn)))) {
      return `capture's slot ${slot} did not confirm the source's LSN ${lsn} within ${timeoutMs} ms (is capture running?)`;
    }
    if (!apply) return undefined;
    const [schema, name] = table.split('.');
    const topics = [topicName(apply.topicPrefix, schema, name), transactionTopicName(apply.topicPrefix)];
    const stored = await readAppliedOffsets(apply.target, apply.groupId, topics);
    if (stored.length === 0) {
      return `apply group ${apply.groupId} stored no offsets in the target for ${topics.join(' or ')}: is PAYSYNC_GROUP_ID the group of the apply writing this target?`;
    }
    // Parallel apply reads the table's topic, transactional apply the transaction topic: the one it moved last.
    const topic = stored.reduce((a, b) => (b.updatedMs > a.updatedMs ? b : a)).topic;
    const ends = await partitionOffsets(apply.kafka, topic);
    const applied = await this.waitUntil(deadline, async () => caughtUp(ends, await readAppliedOffsets(apply.target, apply.groupId, [topic])));
    return applied ? undefined : `apply group ${apply.groupId} did not apply ${topic} up to its end offsets within ${timeoutMs} ms (apply lagging or stopped)`;
  }

  private async slotConfirmed(slot: string, lsn: string): Promise<boolean> {
    const { rows } = await this.sourcePool.query<{ lsn: string | null }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    return rows[0]?.lsn != null && lsnToBigInt(rows[0].lsn) >= lsnToBigInt(lsn);
  }

  private async waitUntil(deadline: number, check: () => Promise<boolean>): Promise<boolean> {
    for (;;) {
      if (await check()) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 200));
    }
  }
}

/**
 * Every partition applied to its end offset; one apply never wrote to must hold no record. Exact
 * on topics a transactional producer writes too: apply stores its consumer position, Kafka's
 * markers included (services/apply kafka-position.ts), and the end is the last stable offset.
 */
export function caughtUp(ends: PartitionOffsets[], stored: AppliedOffset[]): boolean {
  return ends.every((end) => {
    const applied = stored.find((s) => s.partition === end.partition);
    return applied ? applied.nextOffset >= end.high : end.low === end.high;
  });
}
