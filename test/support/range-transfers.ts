import type { Pool } from '@paysync/postgres';

/** Row changes of one transfer: the transfer, its two accounts, its two ledger rows. */
export const CHANGES_PER_TRANSFER = 5;

/**
 * The payments load of one side of a migration: transfers between accounts of its own range only
 * (each key is written on one side at a time), each with its transfer and two ledger rows, in one
 * transaction. Counts what it committed, to tell a side's own changes from echoes.
 */
export class RangeTransfers {
  committed = 0;
  private running = false;
  private writers: Promise<void>[] = [];

  constructor(
    private readonly pool: Pool,
    private readonly first: number,
    private readonly last: number,
  ) {}

  start(writers = 2): void {
    this.running = true;
    this.writers = Array.from({ length: writers }, () => this.write());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.writers);
  }

  private pick(): number {
    return this.first + Math.floor(Math.random() * (this.last - this.first + 1));
  }

  private async write(): Promise<void> {
    while (this.running) {
      const from = this.pick();
      let to = this.pick();
      while (to === from) to = this.pick();
      const value = `${Math.floor(Math.random() * 20)}.${String(Math.floor(Math.random() * 10000)).padStart(4, '0')}`;
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ id: string }>(`INSERT INTO transfers (from_account, to_account, amount, status) VALUES ($1, $2, $3, 'done') RETURNING id`, [from, to, value]);
        const moved = await client.query(
          `UPDATE accounts SET balance = balance + CASE WHEN id = $1 THEN -$3::numeric ELSE $3::numeric END, updated_at = now() WHERE id IN ($1, $2)`,
          [from, to, value],
        );
        if (moved.rowCount !== 2) throw new Error(`accounts ${from} and ${to} are not both there`);
        await client.query(`INSERT INTO ledger (account_id, transfer_id, amount) VALUES ($1, $3, -$4::numeric), ($2, $3, $4::numeric)`, [from, to, rows[0].id, value]);
        await client.query('COMMIT');
        this.committed += 1;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        // Two writers moving money between the same accounts may deadlock: that transfer did not happen.
        if (!/deadlock/.test((err as Error).message)) throw err;
      } finally {
        client.release();
      }
    }
  }
}
