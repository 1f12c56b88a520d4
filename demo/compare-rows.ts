import { qualifiedName, type Pool } from '@paysync/postgres';

/** How a column is compared: its value as the same text on PostgreSQL and MariaDB. */
export type ColumnKind = 'int' | 'text' | 'numeric' | 'timestamptz';

export interface ComparedTable {
  /** schema.table on the source (and a PostgreSQL target); the bare table on MariaDB. */
  name: string;
  key: string;
  columns: Record<string, ColumnKind>;
}

function pgExpression(column: string, kind: ColumnKind): string {
  const c = `"${column}"`;
  if (kind === 'timestamptz') return `coalesce(to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), 'NULL')`;
  return `coalesce(${c}::text, 'NULL')`;
}

/** The table's rows on PostgreSQL (source or target) as key -> canonical text (empty when the table does not exist). */
export async function pgRows(pool: Pick<Pool, 'query'>, table: ComparedTable): Promise<Map<string, string>> {
  const [schema, name] = table.name.split('.');
  const exists = await pool.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [qualifiedName(schema, name)]);
  if (!exists.rows[0].t) return new Map();
  const columns = Object.entries(table.columns).map(([c, kind]) => pgExpression(c, kind));
  const { rows } = await pool.query<{ k: string; v: string }>(`SELECT "${table.key}"::text AS k, concat_ws('|', ${columns.join(', ')}) AS v FROM ${qualifiedName(schema, name)}`);
  return new Map(rows.map((r) => [r.k, r.v]));
}

/** Differences between two row maps, at most `limit` of them, readable in a failure message. */
export function rowDifferences(source: Map<string, string>, target: Map<string, string>, limit = 10): string[] {
  const problems: string[] = [];
  for (const [key, row] of source) {
    const copy = target.get(key);
    if (copy === undefined) problems.push(`missing in target: ${key} ${row}`);
    else if (copy !== row) problems.push(`differs: ${key}\n  source: ${row}\n  target: ${copy}`);
    if (problems.length >= limit) return problems;
  }
  for (const key of target.keys()) {
    if (!source.has(key)) problems.push(`extra in target: ${key} ${target.get(key)}`);
    if (problems.length >= limit) break;
  }
  return problems;
}
