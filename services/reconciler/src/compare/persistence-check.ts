import type { ComparedTable, ReconcileSide } from '../sides/side';
import { keyId } from '../sides/side';
import { classify, type Candidate } from './range-narrowing';

export interface PersistenceOptions {
  /** Waits between re-checks, in ms; drift must be seen in every one. */
  delaysMs: number[];
  /** Waits until the source's changes up to now are captured (the slot confirmed past the fence). */
  fence: () => Promise<void>;
}

export interface Confirmed {
  drift: Candidate[];
  /** Keys whose source row kept changing during the checks: not reported, checked again next run. */
  unsettled: number;
}

/**
 * A difference seen while changes are in flight is not drift. A candidate is reported only when,
 * after the pipeline had time to deliver everything written before each check (the fence), it still
 * differs in every re-check and its source row did not change between the last two: drift that
 * persists on a quiet row, never a change still on its way.
 */
export async function confirmPersistent(source: ReconcileSide, target: ReconcileSide, table: ComparedTable, candidates: Candidate[], options: PersistenceOptions): Promise<Confirmed> {
  let open = candidates;
  let previousSource = new Map<string, string>();
  let unsettled = 0;
  for (let attempt = 0; attempt < options.delaysMs.length && open.length > 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, options.delaysMs[attempt]));
    await options.fence();
    const keys = open.map((c) => c.key);
    const [s, t] = await Promise.all([source.rowHashesOf(table, keys), target.rowHashesOf(table, keys)]);
    const still = classify(s, t, keys.map(keyId));
    const last = attempt === options.delaysMs.length - 1;
    if (last && attempt > 0) {
      const quiet = still.filter((c) => previousSource.get(keyId(c.key)) === s.get(keyId(c.key)));
      unsettled = still.length - quiet.length;
      open = quiet;
    } else {
      open = still;
    }
    previousSource = s;
  }
  return { drift: open, unsettled };
}
