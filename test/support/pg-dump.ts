import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram, runProgram } from './database-roles';

/** A pg_dump archive (custom format) in a temporary folder of its own, removed by `remove()`. */
export interface DumpFile {
  path: string;
  remove(): void;
}

async function succeeded(what: string, run: ReturnType<typeof runProgram>): Promise<string> {
  const { code, output } = await run;
  if (code !== 0) throw new Error(`${what} failed (exit ${code}):\n${output}`);
  return output;
}

/** pg_dump of the whole database `url` names: one snapshot of every table, paysync's own included. */
export async function dumpDatabase(url: string): Promise<DumpFile> {
  const dir = mkdtempSync(join(tmpdir(), 'paysync-dump-'));
  const path = join(dir, 'target.dump');
  await succeeded('pg_dump', runProgram(findProgram(['pg_dump']), ['--format=custom', `--file=${path}`, `--dbname=${url}`]));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** pg_restore of the archive into the (empty) database `url` names. */
export async function restoreDump(dump: DumpFile, url: string): Promise<void> {
  await succeeded('pg_restore', runProgram(findProgram(['pg_restore']), ['--exit-on-error', `--dbname=${url}`, dump.path]));
}

/**
 * The rows the archive holds for schema.table, read from the archive itself (its COPY data), each
 * as column -> text (COPY's \N as null).
 */
export async function dumpedRows(dump: DumpFile, schema: string, table: string): Promise<Record<string, string | null>[]> {
  const script = await succeeded('pg_restore --data-only', runProgram(findProgram(['pg_restore']), ['--data-only', `--schema=${schema}`, `--table=${table}`, '--file=-', dump.path]));
  const lines = script.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`COPY ${schema}.${table} (`));
  if (start < 0) throw new Error(`the dump holds no data of ${schema}.${table}:\n${script}`);
  const columns = /\((.*)\) FROM stdin;$/.exec(lines[start])![1].split(', ');
  const rows: Record<string, string | null>[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line === '\\.') return rows;
    const values = line.split('\t');
    rows.push(Object.fromEntries(columns.map((c, i) => [c, values[i] === '\\N' ? null : values[i]])));
  }
  throw new Error(`the COPY data of ${schema}.${table} has no end:\n${script}`);
}
