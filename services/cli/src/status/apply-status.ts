import { conflictTopic, deadLetterTopic } from '@paysync/contract';
import type { PartitionOffsets } from '@paysync/kafka';
import type { GroupOffset } from '@paysync/reconciler';

/** One apply group's progress in one target, against the topics' ends. */
export interface ApplyGroupStatus {
  groupId: string;
  topics: number;
  partitions: number;
  /** Records (and Kafka's transaction markers) written to the topics that the group has not applied yet. */
  behindRecords: number;
  /**
   * Seconds since the group last stored progress on a partition that has records waiting: grows
   * while apply is stopped or stuck; 0 when nothing waits.
   */
  stalledSeconds: number;
  /** When the group last stored progress on any partition (ISO time). */
  lastAppliedAt: string | null;
  /** Records in the group's dead-letter topic (what apply could not write; see the README). */
  deadLetters: number;
  deadLetterTopic: string;
  /** Records in the group's conflicts topic (bidirectional sync: changes that met a row changed in the target). */
  conflicts: number;
  conflictTopic: string;
}

function recordsIn(ends: Map<string, PartitionOffsets[]>, topic: string): number {
  return (ends.get(topic) ?? []).reduce((n, p) => n + Number(p.high - p.low), 0);
}

/** The stored offsets of every group in a target, each measured against the topic ends read from Kafka. */
export function applyGroupsStatus(stored: GroupOffset[], ends: Map<string, PartitionOffsets[]>, prefix: string, nowMs: number): ApplyGroupStatus[] {
  const groups = new Map<string, GroupOffset[]>();
  for (const offset of stored) groups.set(offset.groupId, [...(groups.get(offset.groupId) ?? []), offset]);
  return [...groups].map(([groupId, offsets]) => {
    let behindRecords = 0;
    let stalledSinceMs = nowMs;
    for (const o of offsets) {
      const end = ends.get(o.topic)?.find((p) => p.partition === o.partition)?.high ?? o.nextOffset;
      const behind = end > o.nextOffset ? Number(end - o.nextOffset) : 0;
      behindRecords += behind;
      if (behind > 0) stalledSinceMs = Math.min(stalledSinceMs, o.updatedMs);
    }
    const dlq = deadLetterTopic(prefix, groupId);
    const conflicts = conflictTopic(prefix, groupId);
    const lastMs = Math.max(...offsets.map((o) => o.updatedMs));
    return {
      groupId,
      topics: new Set(offsets.map((o) => o.topic)).size,
      partitions: offsets.length,
      behindRecords,
      stalledSeconds: Math.max(0, Math.round((nowMs - stalledSinceMs) / 100) / 10),
      lastAppliedAt: Number.isFinite(lastMs) ? new Date(lastMs).toISOString() : null,
      deadLetters: recordsIn(ends, dlq),
      deadLetterTopic: dlq,
      conflicts: recordsIn(ends, conflicts),
      conflictTopic: conflicts,
    };
  });
}

/** Every topic whose ends the groups' status needs: the ones they stored offsets for, their dead-letter and conflicts topics. */
export function topicsToMeasure(stored: GroupOffset[], prefix: string): string[] {
  return [...new Set([...stored.map((o) => o.topic), ...stored.flatMap((o) => [deadLetterTopic(prefix, o.groupId), conflictTopic(prefix, o.groupId)])])];
}
