import { canonicalValue, rowHashExpression, type Dialect } from './canonical-row';
import type { ComparedColumn } from './side';

/**
 * How one run hashes rows; both sides must hash alike, so it is chosen for the pair
 * (row-hash-agreement.ts):
 * - `md5`: the md5 of the canonical text (canonical-row.ts), which PostgreSQL and MariaDB/MySQL
 *   compute alike; data-diff's method too.
 * - `hash64`: PostgreSQL's hashtextextended of the row's text with two seeds (two 64-bit hashes),
 *   about three times cheaper than md5 of the length-prefixed text, measured on the bench's table.
 *   Only when both sides are PostgreSQL and hash a probe alike: the function is PostgreSQL's own,
 *   kept stable across versions for hash partitioning but not across byte orders.
 */
export type RowHash = 'md5' | 'hash64';

/**
 * The row's canonical values joined as quoted literals: quote_nullable doubles quotes (and
 * backslashes, behind E), NULL stays the bare word, so no two rows give the same text and each
 * value is evaluated once. COLLATE "C": hashed as bytes under any database collation.
 */
function quotedRowText(columns: ComparedColumn[]): string {
  return `(concat_ws(',', ${columns.map((c) => `quote_nullable(${canonicalValue('postgres', c)})`).join(', ')}) COLLATE "C")`;
}

const hash64 = (text: string, seed: 0 | 1) => `hashtextextended(${text}, ${seed})`;

/** One row's hash as text (listed per key in small ranges; compared as strings). */
export function rowHashSql(dialect: Dialect, method: RowHash, columns: ComparedColumn[]): string {
  if (method === 'md5') return rowHashExpression(dialect, columns);
  const text = quotedRowText(columns);
  return `(${hash64(text, 0)}::text || '.' || ${hash64(text, 1)}::text)`;
}

/**
 * A range digest as SQL: `row` is computed once per row (as column h of a subquery the planner
 * must not inline), `sums` are the two summed numbers over h: equal digests, equal rows to about
 * 2^-120 (md5: two 60-bit slices; hash64: the two 64-bit hashes).
 */
export function digestSql(dialect: Dialect, method: RowHash, columns: ComparedColumn[]): { row: string; sums: [string, string] } {
  if (method === 'hash64') return { row: quotedRowText(columns), sums: [hash64('h', 0), hash64('h', 1)] };
  const slice = (from: number) =>
    dialect === 'postgres' ? `('x' || substr(h, ${from}, 15))::bit(60)::bigint` : `CAST(CONV(SUBSTRING(h, ${from}, 15), 16, 10) AS UNSIGNED)`;
  return { row: rowHashExpression(dialect, columns), sums: [slice(1), slice(16)] };
}
