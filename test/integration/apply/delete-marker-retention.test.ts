import { partitionOffsets } from '@paysync/kafka';
import { createPool } from '@paysync/postgres';
import type { ComparedTable } from '../../../demo/compare-rows';
import { applyEnv, tableDifferences } from '../../support/applied-targets';
import { CaptureFixture } from '../../support/capture-fixture';
import { applyLoginOn, dropMariadbUsers, dropPostgresRoles, withLogin, type ScratchLogin } from '../../support/database-roles';
import { uniqueName } from '../../support/fixtures';
import { httpAddressOf, sampleValue, scrapeMetrics } from '../../support/metrics-scrape';
import { exitedByItself, killAll, startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import { createScratchMysqlTarget, createScratchPostgresTarget, type ScratchTarget } from '../../support/target-databases';
import { deleteRecordsBefore, setTopicConfig } from '../../support/topic-admin';
import { readTopic } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';

jest.setTimeout(600_000);

const TABLE = 'public.items';
const ITEMS: ComparedTable = { name: TABLE, key: 'id', columns: { id: 'int', label: 'text' } };
const DELETED = [1, 2, 3, 4, 5, 6, 7, 8];
const KEPT = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];

/** How paysync.row_versions was before it kept deleted_at, with a marker and a version an earlier run left. */
const OLD_ROW_VERSIONS = {
  postgres: [
    `CREATE TABLE paysync.row_versions (target_table text NOT NULL, row_key text NOT NULL, lsn bigint NOT NULL, seq bigint NOT NULL, deleted boolean NOT NULL, PRIMARY KEY (target_table, row_key))`,
    `INSERT INTO paysync.row_versions VALUES ('public.old', '["1"]', 1, 0, true), ('public.old', '["2"]', 1, 1, false)`,
  ],
  mysql: [
    `CREATE TABLE paysync_row_versions (key_hash BINARY(32) NOT NULL PRIMARY KEY, target_table VARCHAR(255) NOT NULL, row_key LONGTEXT NOT NULL,
       lsn BIGINT UNSIGNED NOT NULL, seq BIGINT UNSIGNED NOT NULL, deleted BOOLEAN NOT NULL, KEY by_table (target_table)) ENGINE=InnoDB`,
    `INSERT INTO paysync_row_versions VALUES (UNHEX(SHA2('old 1', 256)), 'old', '["1"]', 1, 0, true), (UNHEX(SHA2('old 2', 256)), 'old', '["2"]', 1, 1, false)`,
  ],
};

interface Version {
  lsn: string;
  seq: string;
  deleted: boolean;
  deletedAt: string | null;
}

/** A source with table items (not captured yet), a target, apply's role made there by deploy/sql; removed after the describe's tests. */
interface Setup {
  source: CaptureFixture;
  target: ScratchTarget;
  login: ScratchLogin;
  processes: PaysyncProcess[];
}

/** `beforeLogin` and `afterLogin` prepare the target around the deploy/sql script. */
function useSetup(kind: 'postgres' | 'mysql', prefix: string, prepare: { beforeLogin?: (target: ScratchTarget) => Promise<void>; afterLogin?: (setup: Setup) => Promise<void> }): Setup {
  const setup = { processes: [] as PaysyncProcess[] } as Setup;
  beforeAll(async () => {
    setup.source = await CaptureFixture.create([`CREATE TABLE items (id bigint PRIMARY KEY, label text NOT NULL)`]);
    setup.target = kind === 'postgres' ? await createScratchPostgresTarget(prefix) : await createScratchMysqlTarget(prefix);
    await prepare.beforeLogin?.(setup.target);
    setup.login = await applyLoginOn(setup.target, [TABLE]);
    await prepare.afterLogin?.(setup);
  });
  afterAll(async () => {
    await killAll(setup.processes);
    await setup.target?.drop();
    await setup.source?.cleanup();
    if (setup.login) await (kind === 'postgres' ? dropPostgresRoles([setup.login]) : dropMariadbUsers([setup.login]));
  });
  return setup;
}

async function runAll(target: ScratchTarget, statements: string[]): Promise<void> {
  for (const statement of statements) await target.query(statement);
}

/**
 * Delete markers purged by apply after PAYSYNC_DELETE_MARKER_RETENTION_MS (here 1 ms, every 200 ms),
 * into each target kind, as apply's least-privilege role from deploy/sql, on a row versions table
 * an earlier paysync made (without deleted_at). Then the case the retention is safe in: a replay
 * from earliest of a topic that holds no record of the deleted keys older than their deletes, as
 * compaction leaves a compacted table topic. The topics capture makes here are plain (delete
 * policy), so the records before the deletes are removed with Kafka's deleteRecords instead, up
 * to where the deletes begin. (On the untouched topic a replay bounded before the deletes would
 * bring the purged rows back: the case the retention must outlast, see docs/backups.md.)
 */
describe.each(['postgres', 'mysql'] as const)('delete-marker retention on a %s target', (kind) => {
  const setup = useSetup(kind, 'paysync_tgt_restore_markers', {
    beforeLogin: async (target) => {
      if (kind === 'mysql') await runAll(target, OLD_ROW_VERSIONS.mysql);
    },
    afterLogin: async ({ target, login }) => {
      if (kind !== 'postgres') return;
      // Made by apply's role, as an earlier apply would have: it owns the table, so it may add the column.
      const asApply = createPool(withLogin(target.url, login), { applicationName: 'paysync-test', max: 1 });
      try {
        for (const statement of OLD_ROW_VERSIONS.postgres) await asApply.query(statement);
      } finally {
        await asApply.end();
      }
    },
  });
  const versionsTable = kind === 'postgres' ? 'paysync.row_versions' : 'paysync_row_versions';
  const label = (table: string) => (kind === 'postgres' ? `public.${table}` : table);

  async function versions(table: string): Promise<Map<string, Version>> {
    const text = (column: string) => (kind === 'postgres' ? `${column}::text` : `CAST(${column} AS CHAR)`);
    const rows = await setup.target.query(`SELECT row_key, ${text('lsn')} AS lsn, ${text('seq')} AS seq, deleted, ${text('deleted_at')} AS deleted_at FROM ${versionsTable} WHERE target_table = '${label(table)}'`);
    return new Map(rows.map((r) => [String(r.row_key), { lsn: String(r.lsn), seq: String(r.seq), deleted: ['t', '1', 'true'].includes(String(r.deleted)), deletedAt: r.deleted_at === null ? null : String(r.deleted_at) }]));
  }
  const keysOf = (ids: number[]) => ids.map((id) => `["${id}"]`);
  const pick = (all: Map<string, Version>, keys: string[]) => keys.map((k) => [k, all.get(k)]);

  async function waitEqual(what: string, process: PaysyncProcess): Promise<void> {
    let last: string[] = [];
    await waitUntil(() => `${what}; differences:\n${last.join('\n')}\nit said:\n${process.output().slice(-3000)}`, async () => (last = await tableDifferences(setup.source, setup.target, ITEMS, label('items'))).length === 0, 120_000, 250);
  }

  it('purges the markers of deleted keys and nothing else, and a replay of the records after the deletes brings none back', async () => {
    const { source, target, login, processes } = setup;
    const settings = { PAYSYNC_TARGET_URL: withLogin(target.url, login) };
    const capture = await source.startCaptureStreaming([TABLE]);
    const groupId = uniqueName('paysync-apply-restore-markers');
    const apply = startPaysync('apply', applyEnv(source, target, groupId, [TABLE], { ...settings, PAYSYNC_DELETE_MARKER_RETENTION_MS: '1', PAYSYNC_DELETE_MARKER_PURGE_INTERVAL_MS: '200' }));
    processes.push(apply);
    await source.db.pool.query(`INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 20) g`);
    await source.waitCaughtUp(capture);
    await waitEqual('the inserts applied', apply);
    // Where each partition stands before the deletes: the records below are all older than them.
    const topic = source.topic(TABLE);
    const beforeDeletes = await partitionOffsets(source.kafka, topic);

    await source.db.pool.query(`DELETE FROM items WHERE id <= ${DELETED.length}`);
    await source.db.pool.query(`UPDATE items SET label = label || ' (kept)'`);
    await source.waitCaughtUp(capture);
    await waitEqual('the deletes and updates applied', apply);
    const applied = await versions('items');

    // The earlier run's table gained deleted_at; its marker (stamped when the column came) and the new ones go.
    await waitUntil(
      () => `every delete marker purged; ${versionsTable} holds ${JSON.stringify([...applied])}; apply said:\n${apply.output().slice(-3000)}`,
      async () => [...(await versions('items')).values(), ...(await versions('old')).values()].every((v) => !v.deleted),
      60_000,
    );
    const purged = await versions('items');
    expect([...purged.keys()].sort()).toEqual(keysOf(KEPT).sort());
    expect(pick(purged, keysOf(KEPT))).toEqual(pick(applied, keysOf(KEPT)));
    expect([...purged.values()].every((v) => v.deletedAt === null)).toBe(true);
    expect([...(await versions('old'))]).toEqual([['["2"]', { lsn: '1', seq: '1', deleted: false, deletedAt: null }]]);
    const samples = await scrapeMetrics(httpAddressOf(apply, 'apply running'));
    expect(sampleValue(samples, 'paysync_apply_delete_markers_purged_total')).toBe(DELETED.length + 1);
    apply.kill('SIGTERM');
    expect(await apply.exited).toBe(0);

    // The topic as compaction leaves it: nothing of the deleted keys older than their deletes. Kafka
    // deletes records only of a topic with the delete policy (the cleaner's work, done by hand).
    await setTopicConfig(source.kafka, topic, { 'cleanup.policy': 'delete' });
    for (const p of beforeDeletes) await deleteRecordsBefore(source.kafka, topic, p.partition, p.high);
    const left = await readTopic(source.kafka, topic);
    const ofDeleted = left.filter((r) => DELETED.includes(Number(r.key?.id)));
    expect(ofDeleted.filter((r) => r.value !== null && r.value.op !== 'd')).toEqual([]);
    expect(ofDeleted.filter((r) => r.value?.op === 'd')).toHaveLength(DELETED.length);

    const replay = startPaysync('replay', applyEnv(source, target, uniqueName('paysync-replay-restore-markers'), [TABLE], settings));
    processes.push(replay);
    expect(await exitedByItself(replay, 'paysync replay from earliest')).toBe(0);
    expect(replay.output()).toMatch(/replay caught up/);
    // The kept rows' updates are the versions the target holds: skipped; the replayed deletes find no row to remove.
    expect(replay.output()).toMatch(new RegExp(`skipped as older than the target \\(version guard\\): ${KEPT.length}\\b`));
    expect(await tableDifferences(source, target, ITEMS, label('items'))).toEqual([]);
    const replayed = await versions('items');
    expect(pick(replayed, keysOf(KEPT))).toEqual(pick(applied, keysOf(KEPT)));
    expect(keysOf(DELETED).every((k) => replayed.get(k)?.deleted)).toBe(true);
    capture.kill('SIGTERM');
    expect(await capture.exited).toBe(0);
  });
});

/**
 * Adding deleted_at to an earlier paysync's row versions table takes what least privilege may not
 * give: the table's ownership on PostgreSQL (it was made under another role), ALTER on MariaDB.
 * Apply stops at start naming the statement; after it, apply adds the column.
 */
describe.each(['postgres', 'mysql'] as const)("an earlier paysync's row versions table on a %s target, apply lacking what adding deleted_at takes", (kind) => {
  const setup = useSetup(kind, 'paysync_tgt_restore_upgrade', {
    // Made by an admin, not by apply's role.
    beforeLogin: (target) => runAll(target, [...(kind === 'postgres' ? ['CREATE SCHEMA paysync'] : []), ...OLD_ROW_VERSIONS[kind]]),
    afterLogin: async ({ target, login }) => {
      if (kind === 'mysql') await target.query(`REVOKE ALTER ON paysync_row_versions FROM '${login.name}'@'%'`);
    },
  });

  it('stops at start with the statement that fixes it, and adds the column after it', async () => {
    const { source, target, login, processes } = setup;
    const database = decodeURIComponent(new URL(target.url).pathname.slice(1));
    const fix = kind === 'postgres' ? `ALTER TABLE paysync.row_versions OWNER TO "${login.name}";` : `GRANT ALTER ON \`${database}\`.\`paysync_row_versions\` TO '${login.name}'@'%';`;
    const start = () => {
      const apply = startPaysync('apply', applyEnv(source, target, uniqueName('paysync-apply-restore-upgrade'), [TABLE], { PAYSYNC_TARGET_URL: withLogin(target.url, login) }));
      processes.push(apply);
      return apply;
    };
    const refused = start();
    expect(await exitedByItself(refused, 'apply at start')).toBe(1);
    expect(refused.output()).toContain(fix);

    await target.query(fix.replace(/;$/, ''));
    const apply = start();
    const columns = kind === 'postgres' ? "SELECT 1 FROM information_schema.columns WHERE table_schema = 'paysync' AND table_name = 'row_versions' AND column_name = 'deleted_at'" : "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'paysync_row_versions' AND COLUMN_NAME = 'deleted_at'";
    await waitUntil(() => `apply to add deleted_at; apply said:\n${apply.output().slice(-3000)}`, async () => (await target.query(columns)).length === 1, 60_000);
    // The marker the earlier run left is stamped now, so the retention counts from here.
    const stamped = await target.query(kind === 'postgres' ? "SELECT deleted_at IS NOT NULL AS stamped FROM paysync.row_versions WHERE row_key = '[\"1\"]'" : "SELECT deleted_at IS NOT NULL AS stamped FROM paysync_row_versions WHERE row_key = '[\"1\"]'");
    expect(['t', '1']).toContain(String(stamped[0].stamped));
  });
});
