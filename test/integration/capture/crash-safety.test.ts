import type { Pool } from '@paysync/postgres';
import { CaptureFixture } from '../../support/capture-fixture';
import { expectKilled, type PaysyncProcess } from '../../support/paysync-process';
import { sleep } from '../../support/wait';

jest.setTimeout(300_000);

const TABLE = 'public.accounts';

/** A payments-like writer: transfers (two updates), new accounts, closures; remembers what committed. */
class Writer {
  readonly committed = new Set<string>(); // "id:rev" of every committed insert/update
  readonly deleted = new Set<number>();
  private running = true;
  private nextId = 1000;
  transactions = 0;

  constructor(private readonly pool: Pool) {}

  async run(): Promise<void> {
    while (this.running) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const kind = Math.random();
        const pending: string[] = [];
        let closed: number | undefined;
        if (kind < 0.7) {
          const { rows } = await client.query<{ id: string; rev: string }>(
            `UPDATE accounts SET balance = balance + CASE WHEN id = (SELECT min(id) FROM accounts) THEN -1.2345 ELSE 1.2345 END, rev = rev + 1
              WHERE id IN (SELECT id FROM accounts ORDER BY random() LIMIT 2) RETURNING id, rev`,
          );
          rows.forEach((r) => pending.push(`${r.id}:${r.rev}`));
        } else if (kind < 0.9) {
          const id = this.nextId++;
          await client.query(`INSERT INTO accounts VALUES ($1, 100.0001, 0)`, [id]);
          pending.push(`${id}:0`);
        } else {
          const { rows } = await client.query<{ id: string }>(`DELETE FROM accounts WHERE id = (SELECT id FROM accounts ORDER BY random() LIMIT 1) RETURNING id`);
          closed = rows[0] ? Number(rows[0].id) : undefined;
        }
        await client.query('COMMIT');
        pending.forEach((p) => this.committed.add(p));
        if (closed !== undefined) this.deleted.add(closed);
        this.transactions += 1;
      } finally {
        client.release();
      }
    }
  }

  stop(): void {
    this.running = false;
  }
}

describe('capture crash safety', () => {
  let fixture: CaptureFixture;

  beforeAll(async () => {
    fixture = await CaptureFixture.create([
      `CREATE TABLE ${TABLE} (id bigint PRIMARY KEY, balance numeric(20,4) NOT NULL, rev integer NOT NULL)`,
      `INSERT INTO ${TABLE} SELECT g, 1000.0000, 0 FROM generate_series(1, 300) g`,
    ]);
  });
  afterAll(() => fixture.cleanup());

  it('loses nothing when capture is SIGKILLed at random moments under a write load', async () => {
    let capture: PaysyncProcess = await fixture.startCaptureStreaming([TABLE], { PAYSYNC_SNAPSHOT_CHUNK_ROWS: '50' });
    const writer = new Writer(fixture.db.pool);
    const writing = writer.run();
    const kills = 5;
    for (let i = 0; i < kills; i++) {
      await sleep(1500 + Math.random() * 3000);
      capture.kill('SIGKILL');
      await expectKilled(capture);
      capture = fixture.startCapture([TABLE], { PAYSYNC_SNAPSHOT_CHUNK_ROWS: '50' });
    }
    await sleep(3000);
    writer.stop();
    await writing;
    await fixture.waitCaughtUp(capture);

    const { records } = await fixture.expectTopicEqualsSource(TABLE);
    const seen = new Set(records.filter((r) => r.value?.after).map((r) => `${String(r.value?.after?.id)}:${String(r.value?.after?.rev)}`));
    const missing = [...writer.committed].filter((change) => !seen.has(change));
    expect(missing).toEqual([]);
    const deletesSeen = new Set(records.filter((r) => r.value?.op === 'd').map((r) => String(r.key?.id)));
    expect([...writer.deleted].filter((id) => !deletesSeen.has(String(id)))).toEqual([]);
    process.stdout.write(`crash safety: ${writer.transactions} transactions, ${kills} SIGKILLs, ${records.length} records checked\n`);

    // Graceful stop: SIGTERM drains, confirms and exits 0.
    capture.kill('SIGTERM');
    expect(await capture.exited).toBe(0);
  });
});
