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

/** The offsets apply's group stored in the target for these topics (none when apply never ran there). */
export async function readAppliedOffsets(target: SqlRunner, groupId: string, topics: string[]): Promise<AppliedOffset[]> {
  const { table, partitionColumn } = APPLY_OFFSETS_TABLE[target.dialect];
  const postgres = target.dialect === 'postgres';
  const placeholders = topics.map((_, i) => (postgres ? `$${i + 2}` : '?')).join(', ');
  const updatedMs = postgres ? `(extract(epoch FROM updated_at) * 1000)::bigint::text` : 'CAST(FLOOR(UNIX_TIMESTAMP(updated_at) * 1000) AS CHAR)';
  const exists = postgres
    ? `SELECT to_regclass('${table}') IS NOT NULL AS present`
    : `SELECT COUNT(*) > 0 AS present FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '${table}'`;
  const [{ present }] = await target.query(exists, []);
  if (!present || present === '0') return [];
  const rows = await target.query(
    `SELECT topic, ${partitionColumn} AS kafka_partition, next_offset, ${updatedMs} AS updated_ms
       FROM ${table} WHERE group_id = ${postgres ? '$1' : '?'} AND topic IN (${placeholders})`,
    [groupId, ...topics],
  );
  return rows.map((r) => ({ topic: String(r.topic), partition: Number(r.kafka_partition), nextOffset: BigInt(String(r.next_offset)), updatedMs: Number(r.updated_ms) }));
}
