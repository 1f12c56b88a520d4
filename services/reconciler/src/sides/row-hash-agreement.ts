import type { RowHash } from './row-hash';
import type { SqlRunner } from './sql-side';

/** Text whose hash tells servers apart: ASCII, quotes, a backslash and multi-byte UTF-8 (byte order, encoding). */
const PROBE = `paysync 'probe' \\ ü € 𝄞 0123456789`;

export interface RowHashChoice {
  method: RowHash;
  /** Why, for the log line. */
  why: string;
}

async function probeHash(runner: SqlRunner): Promise<string> {
  const [row] = await runner.query(`SELECT hashtextextended($1::text COLLATE "C", 0)::text || '.' || hashtextextended($1::text COLLATE "C", 1)::text AS h`, [PROBE]);
  return String(row.h);
}

/**
 * The row hash both sides will use: PostgreSQL's own 64-bit hash when both are PostgreSQL and it
 * gives both the same value for a probe (same byte order, same encoding), md5 otherwise. Asked
 * once per process, after both sides answered.
 */
export async function agreeOnRowHash(source: SqlRunner, target: SqlRunner): Promise<RowHashChoice> {
  if (source.dialect !== 'postgres' || target.dialect !== 'postgres') return { method: 'md5', why: 'the target is not PostgreSQL' };
  let hashes: string[];
  try {
    hashes = await Promise.all([probeHash(source), probeHash(target)]);
  } catch (err) {
    // undefined_function: a server older than PostgreSQL 11; anything else (a lost connection) is no answer.
    if ((err as { code?: string }).code !== '42883') throw err;
    return { method: 'md5', why: `hashtextextended is missing on a side: ${(err as Error).message}` };
  }
  if (hashes[0] !== hashes[1]) return { method: 'md5', why: `hashtextextended differs between source and target (${hashes[0]} and ${hashes[1]} for the same text: byte order or encoding)` };
  return { method: 'hash64', why: 'both sides are PostgreSQL and hash alike' };
}
