import type { ExpectedRow, RowChange } from './row-change';
import { isNewer } from './row-change';

/**
 * Several changes to one key inside a batch become the newest one, so each key is written once per
 * batch. Columns the newest change left out (unchanged TOAST) are filled from an older change of the
 * same batch that carried them, so nothing the batch knew is dropped. The rows the target may hold
 * before them (the conflict check's) are all of theirs: the batch may start after any of them, since
 * a capture that restarted sends again what the target already has, in the same batch as what is new.
 */
export function coalesceByKey(changes: RowChange[]): RowChange[] {
  const newest = new Map<string, RowChange>();
  /** Keys changed more than once: all their expected rows, in arrival order (one array, no copy per change). */
  const expected = new Map<string, ExpectedRow[]>();
  for (const change of changes) {
    const id = `${change.table.schema}.${change.table.table}\n${change.rowKey}`;
    const known = newest.get(id);
    if (!known) {
      newest.set(id, change);
      continue;
    }
    let rows = expected.get(id);
    if (!rows) expected.set(id, (rows = [...known.expected]));
    rows.push(...change.expected);
    newest.set(id, isNewer(change.version, known.version) ? withToastFrom(change, known) : withToastFrom(known, change));
  }
  return [...newest].map(([id, change]) => {
    const rows = expected.get(id);
    return rows ? { ...change, expected: rows } : change;
  });
}

function withToastFrom(winner: RowChange, older: RowChange): RowChange {
  if (winner.unchanged.length === 0 || !winner.row || !older.row) return winner;
  const row = { ...winner.row };
  const stillUnchanged: string[] = [];
  for (const field of winner.unchanged) {
    if (older.unchanged.includes(field) || !(field in older.row)) stillUnchanged.push(field);
    else row[field] = older.row[field];
  }
  return { ...winner, row, unchanged: stillUnchanged };
}
