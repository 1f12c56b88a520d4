import type { Pool } from '@paysync/postgres';
import type { ComparedTable } from './compare-rows';

export const PAYMENTS_TABLES = ['public.accounts', 'public.transfers', 'public.ledger'];
export const ACCOUNTS = 100;
export const OPENING_BALANCE = '1000.0000';
/** Sum of all balances: transfers, refunds and closures move money, never make or lose it. */
export const TOTAL_BALANCE = `${ACCOUNTS * 1000}.0000`;

export const PAYMENTS_DDL = [
  `CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(20,4) NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE transfers (id bigserial PRIMARY KEY, from_account bigint NOT NULL, to_account bigint NOT NULL,
     amount numeric(20,4) NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE ledger (id bigserial PRIMARY KEY, account_id bigint NOT NULL, transfer_id bigint, amount numeric(20,4) NOT NULL, created_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
  `INSERT INTO accounts (id, owner, balance) SELECT g, 'owner ' || g, ${OPENING_BALANCE} FROM generate_series(1, ${ACCOUNTS}) g`,
];

/** The payments tables as compared between source and target (demo, tests and benchmarks). */
export const PAYMENTS_COMPARED: ComparedTable[] = [
  { name: 'public.accounts', key: 'id', columns: { id: 'int', owner: 'text', balance: 'numeric', updated_at: 'timestamptz' } },
  { name: 'public.transfers', key: 'id', columns: { id: 'int', from_account: 'int', to_account: 'int', amount: 'numeric', status: 'text', created_at: 'timestamptz' } },
  { name: 'public.ledger', key: 'id', columns: { id: 'int', account_id: 'int', transfer_id: 'int', amount: 'numeric', created_at: 'timestamptz' } },
];

function amount(): string {
  return `${Math.floor(Math.random() * 50)}.${String(Math.floor(Math.random() * 10000)).padStart(4, '0')}`;
}

/**
 * A payments load on the source: transfers (debit one account, credit another, two ledger rows, in
 * one transaction), refunds (an update of the transfer and its reversal), new accounts, and
 * closures (balance moved out, then the account deleted). Several writers run at once.
 */
export class PaymentsWorkload {
  transactions = 0;
  /** Transactions cut off by a source that went away (restarted, crashed), when riding out outages. */
  interrupted = 0;
  private running = false;
  private nextAccount = ACCOUNTS + 1;
  private writers: Promise<void>[] = [];

  /**
   * `rideOutOutages`: a writer whose connection or transaction the source cut off (a restart)
   * pauses and goes on instead of failing; whether a cut-off COMMIT happened is the source's to say.
   */
  constructor(
    private readonly pool: Pool,
    private readonly options: { rideOutOutages?: boolean } = {},
  ) {}

  start(writers = 4): void {
    this.running = true;
    this.writers = Array.from({ length: writers }, () => this.write());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.writers);
  }

  private async write(): Promise<void> {
    while (this.running) {
      const client = await this.pool.connect().catch((err: Error) => this.rideOut(err));
      if (!client) continue;
      try {
        await client.query('BEGIN');
        const kind = Math.random();
        if (kind < 0.75) await transfer(client);
        else if (kind < 0.87) await refund(client);
        else if (kind < 0.95) await client.query(`INSERT INTO accounts (id, owner, balance) VALUES ($1, 'new owner', 0)`, [this.nextAccount++]);
        else await closeAccount(client);
        await client.query('COMMIT');
        this.transactions += 1;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        // Concurrent writers may deadlock or find a row gone: that transaction simply did not happen.
        if (!/deadlock|could not serialize|no account/.test((err as Error).message)) await this.rideOut(err as Error);
      } finally {
        client.release();
      }
    }
  }

  /** Pauses a writer the source cut off, when riding out outages; otherwise (or for any other error) fails it. */
  private async rideOut(err: Error): Promise<undefined> {
    if (!this.options.rideOutOutages || !sourceWentAway(err)) throw err;
    this.interrupted += 1;
    await new Promise((resolve) => setTimeout(resolve, 200));
    return undefined;
  }
}

/** The source shutting down, restarting or unreachable (SQLSTATE class 57P, a refused or cut connection). */
function sourceWentAway(err: Error): boolean {
  const code = (err as { code?: string }).code ?? '';
  return /^(57P0[1-4]|ECONNREFUSED|ECONNRESET|EPIPE)$/.test(code) || /Connection terminated|not queryable/.test(err.message);
}

type Db = Pick<Pool, 'query'>;

async function twoAccounts(db: Db): Promise<[string, string] | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM accounts ORDER BY random() LIMIT 2');
  return rows.length === 2 ? [rows[0].id, rows[1].id] : undefined;
}

async function move(db: Db, from: string, to: string, value: string, transferId: string): Promise<void> {
  // Locks in id order, so two transfers between the same accounts wait instead of deadlocking.
  const updated = await db.query(
    `UPDATE accounts SET balance = balance + CASE WHEN id = $1 THEN -$3::numeric ELSE $3::numeric END, updated_at = now()
      WHERE id IN ($1, $2)`,
    [from, to, value],
  );
  if (updated.rowCount !== 2) throw new Error('no account');
  await db.query(`INSERT INTO ledger (account_id, transfer_id, amount) VALUES ($1, $3, -$4::numeric), ($2, $3, $4::numeric)`, [from, to, transferId, value]);
}

async function transfer(db: Db): Promise<void> {
  const pair = await twoAccounts(db);
  if (!pair) return;
  const value = amount();
  const { rows } = await db.query<{ id: string }>(`INSERT INTO transfers (from_account, to_account, amount, status) VALUES ($1, $2, $3, 'done') RETURNING id`, [...pair, value]);
  await move(db, pair[0], pair[1], value, rows[0].id);
}

async function refund(db: Db): Promise<void> {
  const { rows } = await db.query<{ id: string; from_account: string; to_account: string; amount: string }>(
    `UPDATE transfers SET status = 'refunded' WHERE id = (SELECT id FROM transfers WHERE status = 'done' ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING id, from_account, to_account, amount`,
  );
  if (rows.length === 0) return;
  await move(db, rows[0].to_account, rows[0].from_account, rows[0].amount, rows[0].id);
}

async function closeAccount(db: Db): Promise<void> {
  const pair = await twoAccounts(db);
  if (!pair) return;
  const [closing, heir] = pair;
  const { rows } = await db.query<{ balance: string }>('SELECT balance FROM accounts WHERE id = $1 FOR UPDATE', [closing]);
  if (rows.length === 0) throw new Error('no account');
  await move(db, closing, heir, rows[0].balance, '0');
  await db.query('DELETE FROM accounts WHERE id = $1', [closing]);
}
