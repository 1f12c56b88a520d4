import { APPLY_OFFSETS_TABLE } from '@paysync/contract';
import type { SqlRunner } from './sql-side';

/** What apply stored in the target for one partition: the next offset it will apply. */
export interface AppliedOffset {
  topic: string;
  partition: number;
  nextOffset: bigint;
  /** When apply last moved it (Unix ms). */
  updatedMs: number;
}

/** One partition's stored offset, with the apply group that stored it. */
export interface GroupOffset extends AppliedOffset {
  groupId: string;
}

/** The offsets apply's group stored in the target for these topics (none when apply never ran there). */
export async function readAppliedOffsets(target: SqlRunner, groupId: string, topics: string[]): Promise<AppliedOffset[]> {
  return queryOffsets(target, { groupId, topics });
}

/** Every apply group's stored offsets in the target (`paysync status`); none when apply never ran there. */
export function readEveryGroupOffsets(target: SqlRunner): Promise<GroupOffset[]> {
  return queryOffsets(target, {});
}

async function queryOffsets(target: SqlRunner, only: { groupId?: string; topics?: string[] }): Promise<GroupOffset[]> {
  const { table, partitionColumn } = APPLY_OFFSETS_TABLE[target.dialect];
  const postgres = target.dialect === 'postgres';
  const placeholder = (i: number) => (postgres ? `$${i}` : '?');
  const updatedMs = postgres ? `(extract(epoch FROM updated_at) * 1000)::bigint::text` : 'CAST(FLOOR(UNIX_TIMESTAMP(updated_at) * 1000) AS CHAR)';
  const exists = postgres
    ? `SELECT to_regclass('${table}') IS NOT NULL AS present`
    : `SELECT COUNT(*) > 0 AS present FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '${table}'`;
  const [{ present }] = await target.query(exists, []);
  // PostgreSQL's pools return text ('t' / 'f'), MariaDB a number.
  if (!['t', 'true', '1', 1, true].includes(present as string)) return [];
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (only.groupId !== undefined) {
    params.push(only.groupId);
    conditions.push(`group_id = ${placeholder(params.length)}`);
  }
  if (only.topics !== undefined) {
    const first = params.length + 1;
    params.push(...only.topics);
    conditions.push(`topic IN (${only.topics.map((_, i) => placeholder(first + i)).join(', ')})`);
  }
  const rows = await target.query(
    `SELECT group_id, topic, ${partitionColumn} AS kafka_partition, next_offset, ${updatedMs} AS updated_ms
       FROM ${table}${conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''}
      ORDER BY group_id, topic, ${partitionColumn}`,
    params,
  );
  return rows.map((r) => ({
    groupId: String(r.group_id),
    topic: String(r.topic),
    partition: Number(r.kafka_partition),
    nextOffset: BigInt(String(r.next_offset)),
    updatedMs: Number(r.updated_ms),
  }));
}
