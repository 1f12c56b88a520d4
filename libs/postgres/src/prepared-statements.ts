import type { Queryable } from './pool';

/** A statement's text, and the name sessions prepare it under (none: parsed and planned at every run). */
export interface Statement {
  readonly name: string | undefined;
  readonly text: string;
}

/** Prepared statements a pool's sessions hold at most, however many tables and column sets come. */
const MAX_NAMED = 500;

/**
 * Names for statements run again and again, so that each session parses and plans one once and
 * then only executes it (named prepared statements: node-postgres prepares it on a connection at
 * its first run there; PostgreSQL plans it again by itself when a table it reads changes). Apply's
 * upserts are CTEs over unnest() that cost PostgreSQL about 0.35 ms to plan, more than writing a
 * batch of a few rows, and streaming apply writes batches of a few rows. Each text gets one name,
 * the same on every connection of the pool; past MAX_NAMED, new texts run unnamed. Off
 * (`enabled` false) for a connection pooler that moves a session's statements between server
 * connections without carrying its prepared statements along.
 */
export class StatementNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly enabled: boolean) {}

  statement(text: string): Statement {
    if (!this.enabled) return { name: undefined, text };
    let name = this.names.get(text);
    if (name === undefined && this.names.size < MAX_NAMED) {
      name = `paysync_${this.names.size + 1}`;
      this.names.set(text, name);
    }
    return { name, text };
  }
}

/** Runs a statement, by its name when it has one. */
export function runStatement<R extends Record<string, unknown> = Record<string, unknown>>(db: Queryable, statement: Statement, values: unknown[]): Promise<{ rows: R[]; rowCount: number | null }> {
  return statement.name === undefined ? db.query<R>(statement.text, values) : db.query<R>({ name: statement.name, text: statement.text, values });
}
