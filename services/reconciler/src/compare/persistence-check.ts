import type { ComparedTable, ReconcileSide } from '../sides/side';
import { keyId } from '../sides/side';
import { classify, type Candidate } from './range-narrowing';

export interface PersistenceOptions {
  /** Waits between re-checks, in ms; drift must be seen in every one. */
  delaysMs: number[];
  /** Waits until what the source committed before the call is in the target; answers why not when it is not. */
  fence: () => Promise<string | undefined>;
}

export interface Confirmed {
  drift: Candidate[];
  /** Keys whose source row kept changing, or left open by a fence not passed: checked again next run. */
  unsettled: number;
  /** Why a re-check's fence was not passed (its keys are unsettled, not drift). */
  fenceMissed?: string;
}

/**
 * A difference seen while changes are in flight is not drift. A candidate is reported only when,
 * after the pipeline delivered everything written before each check (the fence), it still differs
 * in every re-check and its source row did not change between the last two.
 *
 * Each re-check reads the target before the source: the quiet source row was then last changed
 * before the previous re-check, so before this fence, so that change is in the target read; and no
 * newer change can be, since the source shows none up to a read made after the target's.
 */
export async function confirmPersistent(source: ReconcileSide, target: ReconcileSide, table: ComparedTable, candidates: Candidate[], options: PersistenceOptions): Promise<Confirmed> {
  let open = candidates;
  let previousSource = new Map<string, string>();
  let unsettled = 0;
  for (let attempt = 0; attempt < options.delaysMs.length && open.length > 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, options.delaysMs[attempt]));
    const fenceMissed = await options.fence();
    if (fenceMissed !== undefined) return { drift: [], unsettled: unsettled + open.length, fenceMissed };
    const keys = open.map((c) => c.key);
    const t = await target.rowHashesOf(table, keys);
    const s = await source.rowHashesOf(table, keys);
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
