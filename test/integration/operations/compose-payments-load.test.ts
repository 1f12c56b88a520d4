import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { composeServices, REPO_ROOT } from '../../support/compose-file';
import { findProgram } from '../../support/database-roles';
import { createScratchDatabase, type ScratchDatabase } from '../../support/fixtures';

const PAYMENTS_DIR = join(REPO_ROOT, 'deploy', 'compose', 'payments');

/**
 * docker-compose.yml's payments load is pgbench with two scripts: run its very command line, a few
 * seconds long, against a database made from its schema.sql on the stack's PostgreSQL.
 */
describe("docker-compose.yml's payments load", () => {
  let db: ScratchDatabase;
  beforeAll(async () => {
    db = await createScratchDatabase('compose_load');
    await db.pool.query(readFileSync(join(PAYMENTS_DIR, 'schema.sql'), 'utf8'));
  });
  afterAll(() => db?.drop());

  it('moves money between accounts and opens accounts, never making or losing any', async () => {
    const command = composeServices()['payments-load'].command!;
    const args = command
      .slice(1, -1)
      .map((a) => a.replace(/^--time=\d+$/, '--time=3').replace('/payments/', `${PAYMENTS_DIR}/`));
    const url = new URL(db.url);
    const env = { PATH: process.env.PATH ?? '', PGHOST: url.hostname, PGPORT: url.port, PGUSER: decodeURIComponent(url.username), PGPASSWORD: decodeURIComponent(url.password) };
    const { stdout } = await promisify(execFile)(findProgram([command[0]]), [...args, db.name], { env, timeout: 60_000 });
    expect(stdout).toMatch(/number of failed transactions: 0 \(0\.000%\)/);

    const { rows } = await db.pool.query<{ total: string; transfers: string; ledger: string; unbalanced: string }>(
      `SELECT (SELECT sum(balance) FROM accounts)::text AS total, (SELECT count(*) FROM transfers)::text AS transfers,
              (SELECT count(*) FROM ledger)::text AS ledger, (SELECT sum(amount) FROM ledger)::text AS unbalanced`,
    );
    expect(Number(rows[0].transfers)).toBeGreaterThan(10);
    expect(rows[0]).toEqual({ total: '100000.0000', transfers: rows[0].transfers, ledger: String(2 * Number(rows[0].transfers)), unbalanced: '0.0000' });
  });
});
