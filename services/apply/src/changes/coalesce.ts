import type { RowChange } from './row-change';
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
  for (const change of changes) {
    const id = `${change.table.schema}.${change.table.table}\n${change.rowKey}`;
    const known = newest.get(id);
    if (!known) {
      newest.set(id, change);
    } else if (isNewer(change.version, known.version)) {
      newest.set(id, { ...withToastFrom(change, known), expected: [...known.expected, ...change.expected] });
    } else {
      newest.set(id, { ...withToastFrom(known, change), expected: [...change.expected, ...known.expected] });
    }
  }
  return [...newest.values()];
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
