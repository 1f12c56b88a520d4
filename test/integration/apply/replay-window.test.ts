import { applyEnv } from '../../support/applied-targets';
import { CaptureFixture } from '../../support/capture-fixture';
import { uniqueName } from '../../support/fixtures';
import { startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import { createScratchMysqlTarget, createScratchPostgresTarget, type ScratchTarget } from '../../support/target-databases';
import { sleep } from '../../support/wait';

jest.setTimeout(240_000);

const ENTRIES = 'public.entries';
/** Changes of the window: the rows inserted in it, and a row from before it updated in it. */
const IN_WINDOW = [{ id: 5, phase: 'b-update' }, ...Array.from({ length: 10 }, (_, i) => ({ id: 11 + i, phase: 'b' }))];

describe('replay from a time until a time or an LSN', () => {
  let source: CaptureFixture;
  let capture: PaysyncProcess;
  const targets: ScratchTarget[] = [];
  let fromTime = '';
  let untilTime = '';
  let untilLsn = '';

  /** Commits `sql` and waits until capture has it in Kafka; then a pause, so the next moment lies clearly between. */
  async function phase(...sql: string[]): Promise<void> {
    for (const statement of sql) await source.db.pool.query(statement);
    await source.waitCaughtUp(capture);
    await sleep(1100);
  }

  const now = async () => {
    const at = new Date().toISOString();
    await sleep(1100);
    return at;
  };

  beforeAll(async () => {
    source = await CaptureFixture.create([`CREATE TABLE ${ENTRIES} (id bigint PRIMARY KEY, phase text NOT NULL)`]);
    capture = await source.startCaptureStreaming([ENTRIES]);
    await phase(`INSERT INTO ${ENTRIES} SELECT g, 'a' FROM generate_series(1, 10) g`);
    fromTime = await now();
    await phase(`INSERT INTO ${ENTRIES} SELECT g, 'b' FROM generate_series(11, 20) g`, `UPDATE ${ENTRIES} SET phase = 'b-update' WHERE id = 5`);
    untilLsn = (await source.db.pool.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0].lsn;
    untilTime = await now();
    await phase(
      `INSERT INTO ${ENTRIES} SELECT g, 'c' FROM generate_series(21, 30) g`,
      `UPDATE ${ENTRIES} SET phase = 'c-update' WHERE id IN (5, 12)`,
      `DELETE FROM ${ENTRIES} WHERE id = 13`,
    );
  });

  afterAll(async () => {
    for (const target of targets) await target.drop();
    await source?.cleanup();
  });

  it.each([
    ['PostgreSQL', 'until a time', () => ({ PAYSYNC_REPLAY_UNTIL_TIME: untilTime })],
    ['MariaDB', 'until an LSN', () => ({ PAYSYNC_REPLAY_UNTIL_LSN: untilLsn })],
  ] as const)('rebuilds a %s replica with exactly the changes from a time %s, and ends with its summary', async (kind, _bound, until) => {
    const target = kind === 'PostgreSQL' ? await createScratchPostgresTarget() : await createScratchMysqlTarget();
    targets.push(target);
    const replay = startPaysync('replay', applyEnv(source, target, uniqueName('paysync-replay'), [ENTRIES], { PAYSYNC_REPLAY_FROM: fromTime, ...until() }));
    expect(await replay.exited).toBe(0);

    const rows = await target.query(`SELECT id, phase FROM ${kind === 'PostgreSQL' ? ENTRIES : 'entries'} ORDER BY id`);
    expect(rows.map((r) => ({ id: Number(r.id), phase: r.phase }))).toEqual(IN_WINDOW);
    expect(replay.output()).toMatch(/replay caught up in [\d.]+ s: [\d,]+ records read/);
    expect(replay.output()).toMatch(new RegExp(`entries upsert: ${IN_WINDOW.length}\\n`));
    expect(replay.output()).not.toMatch(/entries delete/);
  });
});
