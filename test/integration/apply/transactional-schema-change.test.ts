import { PipelineFixture } from '../../support/pipeline-fixture';
import { TOTAL_BALANCE } from '../../../demo/payments-workload';
import { waitUntil } from '../../support/wait';

jest.setTimeout(300_000);

/** Ledger rows the migration inserts before its DDL: more than apply buffers, so they are written (and lock the table) first. */
const ROWS_BEFORE_DDL = 6000;

describe.each(['postgres', 'mysql'] as const)('transaction-consistent apply into %s and a schema change inside a large source transaction', (kind) => {
  let fixture: PipelineFixture;
  const table = (name: string) => (kind === 'postgres' ? `public.${name}` : name);

  beforeAll(async () => {
    fixture = await PipelineFixture.create(kind);
  });
  afterAll(() => fixture.cleanup());

  it('adds the column and applies the whole transaction, though its first part already holds the table in the open target transaction', async () => {
    const capture = await fixture.startCapture({ PAYSYNC_TRANSACTION_TOPIC: 'true' });
    // Small fetches: the source transaction spans many batches, so the target transaction stays open between them.
    const apply = fixture.startApply({ PAYSYNC_APPLY_MODE: 'transactional', PAYSYNC_FETCH_MAX_BYTES_PER_PARTITION: '16384' });
    await waitUntil(() => `the accounts snapshot; apply said:\n${apply.output().slice(-2000)}`, async () => {
      const [row] = await fixture.target.query(`SELECT sum(balance) AS total FROM ${table('accounts')}`).catch(() => [{ total: null }]);
      return String(row.total) === TOTAL_BALANCE;
    }, 120_000);

    const client = await fixture.capture.db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO ledger (account_id, amount) SELECT 1 + g % 100, 0.0001 * g FROM generate_series(1, ${ROWS_BEFORE_DDL}) g`);
      await client.query('ALTER TABLE ledger ADD COLUMN note text');
      await client.query(`INSERT INTO ledger (account_id, amount, note) SELECT 1, 1.0000, 'after ' || g FROM generate_series(1, 10) g`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }

    await fixture.waitEqual(capture);
    const notes = await fixture.target.query(`SELECT count(note) AS n FROM ${table('ledger')}`);
    expect(Number(notes[0].n)).toBe(10);
    expect(apply.child.exitCode).toBeNull();
  });
});
