import type { Queryable } from '@paysync/postgres';
import { BOOKKEEPING_SCHEMA, ensureBookkeepingTable } from './bookkeeping-table';

/**
 * Where each table's snapshot stands, kept in the source database (schema `paysync`), so a
 * restarted capture resumes after the last chunk Kafka acknowledged instead of starting over.
 */
export interface TableProgress {
  table: string;
  /** Primary-key values (PostgreSQL text) of the last row of the last acknowledged chunk. */
  lastKey: string[] | null;
  rows: number;
  done: boolean;
}

export const PROGRESS_TABLE = 'capture_snapshot_progress';
const PROGRESS = `${BOOKKEEPING_SCHEMA}.${PROGRESS_TABLE}`;
const PROGRESS_COLUMNS_DDL = `slot_name text NOT NULL,
  table_name text NOT NULL,
  last_key text[],
  rows_done bigint NOT NULL DEFAULT 0,
  done boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (slot_name, table_name)`;

export class SnapshotProgress {
  constructor(
    private readonly db: Queryable,
    private readonly slot: string,
  ) {}

  async ensureTable(): Promise<void> {
    await ensureBookkeepingTable(this.db, PROGRESS_TABLE, PROGRESS_COLUMNS_DDL);
  }

  async load(): Promise<Map<string, TableProgress>> {
    const { rows } = await this.db.query<{ table_name: string; last_key: string | null; rows_done: string; done: string }>(
      `SELECT table_name, last_key, rows_done, done FROM ${PROGRESS} WHERE slot_name = $1`,
      [this.slot],
    );
    return new Map(
      rows.map((r) => [r.table_name, { table: r.table_name, lastKey: r.last_key === null ? null : parseTextArray(r.last_key), rows: Number(r.rows_done), done: r.done === 't' }]),
    );
  }

  /** Forgets the progress of these tables (all of them when the slot is new): they are copied again. */
  async restart(tables: string[]): Promise<void> {
    await this.db.query(`DELETE FROM ${PROGRESS} WHERE slot_name = $1 AND table_name = ANY($2)`, [this.slot, tables]);
  }

  async save(progress: TableProgress): Promise<void> {
    await this.db.query(
      `INSERT INTO ${PROGRESS} (slot_name, table_name, last_key, rows_done, done, updated_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (slot_name, table_name) DO UPDATE
         SET last_key = EXCLUDED.last_key, rows_done = EXCLUDED.rows_done, done = EXCLUDED.done, updated_at = now()`,
      [this.slot, progress.table, progress.lastKey, progress.rows, progress.done],
    );
  }
}

/** A text[] as PostgreSQL prints it ('{a,"b c",NULL}') back to strings. Keys hold no NULLs. */
export function parseTextArray(text: string): string[] {
  const inner = text.slice(1, -1);
  const items: string[] = [];
  let current = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (quoted) {
      if (ch === '\\') current += inner[++i];
      else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') {
      quoted = true;
      wasQuoted = true;
    } else if (ch === ',') {
      items.push(current);
      current = '';
      wasQuoted = false;
    } else current += ch;
  }
  if (inner.length > 0 || wasQuoted) items.push(current);
  return items;
}
