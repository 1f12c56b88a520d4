import type { Queryable } from '@paysync/postgres';

/** Something on the source that stops capture from starting safely, and how to fix it. */
export interface PreflightProblem {
  problem: string;
  fix: string;
}

export class PreflightError extends Error {
  constructor(readonly problems: PreflightProblem[]) {
    super(
      `capture cannot start: ${problems.length} problem${problems.length === 1 ? '' : 's'} on the source database:\n` +
        problems.map((p) => `  - ${p.problem}\n    fix: ${p.fix}`).join('\n'),
    );
    this.name = 'PreflightError';
  }
}

export type Row = Record<string, string | null>;

/** The first row of a query (empty when there is none); values as PostgreSQL text ('t'/'f' for booleans). */
export async function firstRow(db: Queryable, sql: string, params: unknown[] = []): Promise<Row> {
  const { rows } = await db.query<Row>(sql, params);
  return rows[0] ?? {};
}

/** "a, b and c" */
export function listed(names: string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
