import { readTableShape } from '@paysync/contract';
import { inTransaction, type Pool } from '@paysync/postgres';
import { splitTableName } from '../table-name';
import { chunkQuery } from './chunk-query';
import { predicateProblem } from './row-predicate';

/** What is wrong with a snapshot request and what to do instead: one line for the operator. */
export interface RequestProblem {
  problem: string;
  fix: string;
}

/**
 * Checks a request before it is written, so a bad one changes nothing: the table is captured and
 * exists, and PostgreSQL itself accepts the chunk query with the predicate (EXPLAIN, inside a
 * read-only transaction: planned, never run). Undefined when capture can serve it.
 */
export async function requestProblem(db: Pool, tables: readonly string[], table: string, predicate: string | null): Promise<RequestProblem | undefined> {
  if (!tables.includes(table)) {
    return { problem: `--table ${table} is not one of PAYSYNC_TABLES (${tables.join(', ')})`, fix: 'name one of them, or add the table to PAYSYNC_TABLES and restart capture first' };
  }
  const [schema, name] = splitTableName(table);
  const shape = await readTableShape(db, schema, name).catch(() => undefined);
  if (!shape) return { problem: `table ${table} does not exist on the source (PAYSYNC_SOURCE_URL)`, fix: 'check the name in --table and PAYSYNC_TABLES (schema.table, case-sensitive)' };
  if (predicate === null) return undefined;
  const example = `e.g. --where "${shape.primaryKey[0]} > 1000"`;
  const malformed = predicateProblem(predicate);
  if (malformed) return { problem: `--where ${JSON.stringify(predicate)} ${malformed}`, fix: `give one SQL condition on the rows of ${table}, ${example}` };
  const { sql, params } = chunkQuery({ schema, table: name, keyColumns: shape.primaryKey }, null, predicate, 1);
  try {
    await inTransaction(db, (client) => client.query(`EXPLAIN ${sql}`, params), 'BEGIN TRANSACTION READ ONLY');
  } catch (err) {
    if (typeof (err as { code?: unknown }).code !== 'string') throw err;
    return { problem: `--where ${JSON.stringify(predicate)} is refused by PostgreSQL on ${table}: ${(err as Error).message}`, fix: `give a condition PostgreSQL accepts in SELECT * FROM ${table} WHERE (...), ${example}` };
  }
  return undefined;
}
