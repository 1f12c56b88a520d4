import { quoteIdent, runStatement, type Queryable, type Statement } from '@paysync/postgres';
import type { RowChange } from '../../changes/row-change';
import { writesConflictingChange, type ConflictPolicy, type FoundConflict } from '../../conflicts/conflict';
import type { ApplyResult, ResolvedTable } from '../target';
import { columnArrays, keyColumnIndex, targetOf, versionParams, writeRows, writtenColumns } from './postgres-row-writer';
import { CONFLICTS_SHAPE, type TableStatements } from './table-statements';

/**
 * A table's changes into a target also written by its own users: the conflicting ones found first,
 * then written or kept out as the policy says; every conflict is returned, to be recorded.
 */
export async function writeRowsChecked(db: Queryable, table: ResolvedTable, changes: RowChange[], statements: TableStatements, policy: ConflictPolicy): Promise<ApplyResult> {
  const statement = statements.of(CONFLICTS_SHAPE, () => conflictStatement(table));
  const checked = changes.filter((c) => c.expected.length > 0);
  const found = checked.length > 0 ? await findConflicts(db, table, checked, statement) : [];
  if (found.length === 0) return writeRows(db, table, changes, statements);
  const applied = writesConflictingChange(policy);
  const conflicting = new Set(found.map((f) => f.change));
  const written = applied ? changes : changes.filter((c) => !conflicting.has(c));
  const result = written.length > 0 ? await writeRows(db, table, written, statements) : { applied: 0, stale: 0 };
  if (!applied) await keepVersions(db, table, found);
  return { ...result, conflicts: found.map((f) => ({ ...f, applied })) };
}

/**
 * Bidirectional sync's conflict check, on the target itself: a change conflicts when the target
 * row is none of the rows the other side could have changed (RowChange.expected). Rows are compared
 * as PostgreSQL's text of the row of the replicated columns, both cast to the target's types, so
 * equal values give equal text whatever the type (json and xml have no equality). Changes the
 * version guard would skip are not checked: they were dealt with when they first came. The rows
 * found stay locked (FOR UPDATE) until the batch commits, so no local write slips in between the
 * check and the write. One incoming row per expected row of a change.
 */
function conflictStatement(table: ResolvedTable): string {
  const columns = writtenColumns(table);
  const alias = (i: number) => `c${i}`;
  const rowOf = (prefix: string, cast: boolean) => `row(${columns.map((c, i) => (cast ? `${prefix}.${alias(i)}::${c.targetType}` : `${prefix}.${quoteIdent(c.column.name)}`)).join(', ')})::text`;
  const keyMatch = table.primaryKey
    .map((k) => {
      const i = keyColumnIndex(table, columns, k);
      return `t.${quoteIdent(k)} = f.${alias(i)}::${columns[i].targetType}`;
    })
    .join(' AND ');
  // Each value as text (a JSON number would lose a numeric's digits in JSON.parse).
  const targetJson = '(SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each_text(to_jsonb(t)) e)';
  return `WITH incoming AS (
      SELECT * FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::boolean[], ${columns.map((_, i) => `$${i + 6}::text[]`).join(', ')})
        AS i(paysync_row_key, paysync_lsn, paysync_seq, paysync_absent_ok, ${columns.map((_, i) => alias(i)).join(', ')})),
    fresh AS (
      SELECT i.* FROM incoming i
       WHERE NOT EXISTS (
         SELECT FROM paysync.row_versions v
          WHERE v.target_table = $1 AND v.row_key = i.paysync_row_key AND (v.lsn, v.seq) >= (i.paysync_lsn, i.paysync_seq))),
    found AS MATERIALIZED (
      SELECT f.paysync_row_key, ${rowOf('t', false)} AS target_text, ${targetJson}::text AS target_row
        FROM (SELECT DISTINCT ON (paysync_row_key) * FROM fresh) f JOIN ${targetOf(table)} t ON ${keyMatch}
         FOR UPDATE OF t)
    SELECT f.paysync_row_key AS row_key, max(d.target_row) AS target_row
      FROM fresh f LEFT JOIN found d ON d.paysync_row_key = f.paysync_row_key
     GROUP BY f.paysync_row_key
    HAVING NOT bool_or(CASE WHEN d.paysync_row_key IS NULL THEN f.paysync_absent_ok ELSE d.target_text = ${rowOf('f', true)} END)`;
}

/** A row per expected row of each change; changes with none are not checked. */
function conflictParams(table: ResolvedTable, changes: RowChange[]): unknown[] {
  const rows = changes.flatMap((change) => change.expected.map((expected) => ({ change, expected })));
  return [
    ...versionParams(table, rows.map((r) => r.change), rows.map((r) => r.expected.absentOk)),
    ...columnArrays(writtenColumns(table), rows.map((r) => r.expected.row)),
  ];
}

/** The conflicting changes of a batch, with the target row each met (locked until commit). */
async function findConflicts(db: Queryable, table: ResolvedTable, changes: RowChange[], statement: Statement): Promise<Omit<FoundConflict, 'applied'>[]> {
  const { rows } = await runStatement<{ row_key: string; target_row: string | null }>(db, statement, conflictParams(table, changes));
  if (rows.length === 0) return [];
  const byKey = new Map(changes.map((c) => [c.rowKey, c]));
  return rows.map((r) => {
    const change = byKey.get(r.row_key) as RowChange;
    const targetRow = r.target_row === null ? null : (JSON.parse(r.target_row) as Record<string, unknown>);
    return { change, targetRow, reason: conflictReason(targetRow) };
  });
}

function conflictReason(targetRow: Record<string, unknown> | null): string {
  return targetRow === null
    ? 'the row was deleted here, and the other side changed it'
    : 'the row here is not the one the other side changed: it was written here since the other side last saw it';
}

/**
 * A conflicting change that is not written still moves the key's version on, so an older copy of
 * it (a replay, a re-sent batch) is skipped; deleted says what the target holds for the key.
 */
async function keepVersions(db: Queryable, table: ResolvedTable, kept: Omit<FoundConflict, 'applied'>[]): Promise<void> {
  await db.query(
    `INSERT INTO paysync.row_versions AS v (target_table, row_key, lsn, seq, deleted, deleted_at)
     SELECT $1, k, l, s, d, CASE WHEN d THEN now() END FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::boolean[]) AS x(k, l, s, d)
     ON CONFLICT (target_table, row_key) DO UPDATE
       SET lsn = excluded.lsn, seq = excluded.seq, deleted = excluded.deleted,
           deleted_at = CASE WHEN excluded.deleted THEN coalesce(v.deleted_at, now()) END
       WHERE (v.lsn, v.seq) < (excluded.lsn, excluded.seq)`,
    [
      table.label,
      kept.map((k) => k.change.rowKey),
      kept.map((k) => k.change.version.lsn.toString()),
      kept.map((k) => k.change.version.seq.toString()),
      kept.map((k) => k.targetRow === null),
    ],
  );
}
