import { qualifiedName, quoteIdent } from '@paysync/postgres';

export interface ChunkTable {
  schema: string;
  table: string;
  /** Primary-key columns, in key order. */
  keyColumns: string[];
}

/**
 * The next chunk of a watermark snapshot: at most `limit` rows after `after` in primary-key order
 * (keyset paging, so each chunk is one short index scan), only those matching `predicate` when
 * one is given (checked by predicateProblem first). The limit is a parameter, so every chunk
 * query goes through the extended protocol, which runs exactly one statement.
 */
export function chunkQuery(target: ChunkTable, after: string[] | null, predicate: string | null, limit: number): { sql: string; params: string[] } {
  const pk = target.keyColumns.map(quoteIdent).join(', ');
  const params = [...(after ?? []), String(limit)];
  const conditions = [
    ...(after ? [`(${pk}) > (${after.map((_, i) => `$${i + 1}`).join(', ')})`] : []),
    ...(predicate !== null ? [`(${predicate})`] : []),
  ];
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  return { sql: `SELECT * FROM ${qualifiedName(target.schema, target.table)}${where} ORDER BY ${pk} LIMIT $${params.length}`, params };
}
