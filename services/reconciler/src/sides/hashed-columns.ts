import type { HmacPads } from '@paysync/contract';
import { quoteIdent } from '@paysync/postgres';
import type { ComparedTable } from './side';

// Where a statement uses the padded hash key; bound to parameters just before it runs, so the key
// never appears in SQL text (pg_stat_activity, server logs). Comments: left unbound they parse as nothing.
const INNER = '/*paysync:hmac-inner*/';
const OUTER = '/*paysync:hmac-outer*/';

/**
 * A PAYSYNC_COLUMN_HASH column as the source reads it to match what capture sent: the lowercase hex
 * HMAC-SHA-256 of the value's text, computed with the built-in sha256() (no pgcrypto) from the
 * padded keys. format('%s') is the type's output function, the very text pgoutput and capture's
 * snapshot send under the same session settings; a ::text cast is not (bool, inet, char(n) differ).
 */
function hmacOf(column: string): string {
  const c = quoteIdent(column);
  return `(CASE WHEN ${c} IS NULL THEN NULL ELSE encode(sha256(${OUTER} || sha256(${INNER} || convert_to(format('%s', ${c}), 'UTF8'))), 'hex') END)`;
}

const onSource = new WeakMap<ComparedTable, ComparedTable>();

/** The table as the source reads it: each hashed column through its HMAC (the target holds the HMAC already). */
export function hashedOnSource(table: ComparedTable): ComparedTable {
  if (table.hashed.size === 0) return table;
  let read = onSource.get(table);
  if (!read) {
    const hash = <C extends ComparedTable['columns'][number]>(column: C): C => (table.hashed.has(column.name) ? { ...column, sql: hmacOf(column.name) } : column);
    read = { ...table, columns: table.columns.map(hash), keyColumns: table.keyColumns.map(hash) };
    onSource.set(table, read);
  }
  return read;
}

/** The statement with the padded keys bound as its next two parameters, when it uses them. */
export function bindHmacPads(sql: string, params: unknown[], pads: HmacPads): { sql: string; params: unknown[] } {
  if (!sql.includes(INNER)) return { sql, params };
  const bound = sql.replaceAll(INNER, `$${params.length + 1}::bytea`).replaceAll(OUTER, `$${params.length + 2}::bytea`);
  return { sql: bound, params: [...params, pads.inner, pads.outer] };
}
