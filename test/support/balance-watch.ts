import { TOTAL_BALANCE } from '../../demo/payments-workload';
import { repeat, type Repeating } from './repeat';
import type { ScratchTarget } from './target-databases';

/** The sum of balances a reader of the target sees now (in the source's text form); null when the read fails. */
export async function sumOfBalances(target: ScratchTarget): Promise<string | null> {
  const sql = target.kind === 'mysql' ? 'SELECT CAST(sum(balance) AS CHAR) AS total FROM accounts' : 'SELECT sum(balance)::text AS total FROM public.accounts';
  const [row] = await target.query(sql).catch(() => [{ total: null }]);
  return row.total as string | null;
}

/**
 * A reader of the target reading the sum of balances again and again, from start() to stop():
 * payments move money, never make or lose it, so every read that is not TOTAL_BALANCE saw a state
 * the source never had (half a transfer). A failed read counts as off too.
 */
export class BalanceWatch {
  reads = 0;
  readonly off: string[] = [];
  private reading: Repeating | undefined;

  constructor(private readonly target: ScratchTarget) {}

  start(): void {
    this.reading = repeat(async () => {
      const total = await sumOfBalances(this.target);
      this.reads += 1;
      if (total !== TOTAL_BALANCE) this.off.push(String(total));
    }, 10);
  }

  async stop(): Promise<void> {
    await this.reading?.stop();
  }
}
