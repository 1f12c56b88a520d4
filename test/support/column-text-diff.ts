import { quoteIdent, SESSION_SETTINGS, type Pool } from '@paysync/postgres';

type TextRow = Record<string, string | null>;

/** Each column as PostgreSQL's text (`col::text`), under paysync's session settings so the texts compare and read the same everywhere. */
async function textRows(pool: Pool, table: string, columns: string[], key: string): Promise<Map<string, TextRow>> {
  const list = columns.map((c) => `${quoteIdent(c)}::text AS ${quoteIdent(c)}`).join(', ');
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const [name, value] of Object.entries(SESSION_SETTINGS)) await client.query(`SET LOCAL ${name} TO '${value}'`);
    const { rows } = await client.query<TextRow>(`SELECT ${list} FROM ${table}`);
    await client.query('COMMIT');
    return new Map(rows.map((r) => [String(r[key]), r]));
  } finally {
    client.release();
  }
}

/**
 * Where the rows of `targetTable` on `target` differ from those of `table` on `source`, by the text
 * form of each value: for each differing column, the target's text by key (null: NULL there); a
 * row missing in the target is listed under `(missing)`, one only there under `(extra)`. Columns
 * are the source table's, less `ignore`.
 */
export async function columnTextDifferences(
  source: Pool,
  target: Pool,
  table: string,
  options: { targetTable?: string; ignore?: string[]; key?: string } = {},
): Promise<Record<string, Record<string, string | null>>> {
  const key = options.key ?? 'id';
  const [schema, name] = table.split('.');
  const { rows } = await source.query<{ column_name: string }>(
    'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
    [schema, name],
  );
  const columns = rows.map((r) => r.column_name).filter((c) => !options.ignore?.includes(c));
  const want = await textRows(source, table, columns, key);
  const got = await textRows(target, options.targetTable ?? table, columns, key);
  const differences: Record<string, Record<string, string | null>> = {};
  const add = (column: string, id: string, text: string | null): void => void ((differences[column] ??= {})[id] = text);
  for (const [id, row] of want) {
    const copy = got.get(id);
    if (!copy) add('(missing)', id, null);
    else for (const column of columns) if (row[column] !== copy[column]) add(column, id, copy[column]);
  }
  for (const id of got.keys()) if (!want.has(id)) add('(extra)', id, null);
  return differences;
}
