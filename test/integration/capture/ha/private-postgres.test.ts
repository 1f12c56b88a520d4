import { existsSync } from 'node:fs';
import { createPool } from '@paysync/postgres';
import { createScratchDatabase, type ScratchDatabase } from '../../../support/fixtures';
import { startPrivatePostgres, type PrivatePostgres } from '../../../support/private-postgres';

jest.setTimeout(180_000);

/** The private cluster the source-restart test crashes: committed data outlives an immediate restart. */
describe('a private PostgreSQL cluster', () => {
  let cluster: PrivatePostgres | undefined;
  let db: ScratchDatabase | undefined;

  afterAll(async () => {
    await db?.drop();
    await cluster?.stop();
  });

  it('keeps committed rows across an immediate restart, is logical-ready, and leaves nothing behind', async () => {
    cluster = await startPrivatePostgres();
    db = await createScratchDatabase('paysync_private', cluster.url('postgres'));
    await db.pool.query('CREATE TABLE kept (id int PRIMARY KEY, note text)');
    await db.pool.query(`INSERT INTO kept SELECT g, 'row ' || g FROM generate_series(1, 100) g`);
    const { rows: settings } = await db.pool.query<{ wal_level: string; ssl: string }>(`SELECT current_setting('wal_level') AS wal_level, current_setting('ssl') AS ssl`);
    expect(settings[0]).toEqual({ wal_level: 'logical', ssl: 'off' });

    await cluster.restartImmediate();
    // The pool's connections died with the server: the next query opens a new one.
    const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM kept');
    expect(rows[0].n).toBe('100');
    expect(cluster.logTail()).toMatch(/database system was interrupted|redo starts|not properly shut down/);

    const wrongPassword = createPool(cluster.url(db.name).replace(/:[0-9a-f]{24}@/, ':wrong@'), { applicationName: 'paysync-test', max: 1 });
    await expect(wrongPassword.query('SELECT 1')).rejects.toThrow(/password authentication failed/);
    await wrongPassword.end();

    const { port, dir } = cluster;
    await db.drop();
    db = undefined;
    await cluster.stop();
    expect(existsSync(dir)).toBe(false);
    const probe = createPool(`postgres://paysync:x@127.0.0.1:${port}/postgres?sslmode=disable`, { applicationName: 'paysync-test', max: 1 });
    await expect(probe.query('SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
    await probe.end();
  });
});
