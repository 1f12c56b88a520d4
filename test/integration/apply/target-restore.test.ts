import { deadLetterTopic } from '@paysync/contract';
import { PAYMENTS_COMPARED, PAYMENTS_DDL, PAYMENTS_TABLES, PaymentsWorkload, TOTAL_BALANCE } from '../../../demo/payments-workload';
import { applyEnv, waitTargetsEqual, type AppliedTarget } from '../../support/applied-targets';
import { sumOfBalances } from '../../support/balance-watch';
import { CaptureFixture } from '../../support/capture-fixture';
import { uniqueName } from '../../support/fixtures';
import { dumpDatabase, dumpedRows, restoreDump, type DumpFile } from '../../support/pg-dump';
import { killAll, startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import { createScratchPostgresTarget, type ScratchTarget } from '../../support/target-databases';
import { topicRecordCount } from '../../support/topic-reader';
import { waitUntil } from '../../support/wait';

jest.setTimeout(600_000);

/** topic:partition -> next offset to apply. */
type Offsets = Map<string, bigint>;

const offsetsOf = (rows: Record<string, unknown>[]): Offsets => new Map(rows.map((r) => [`${String(r.topic)}:${String(r.partition)}`, BigInt(String(r.next_offset))]));

async function storedOffsets(target: ScratchTarget, groupId: string): Promise<Offsets> {
  return offsetsOf((await target.query(`SELECT topic, partition, next_offset FROM paysync.apply_offsets WHERE group_id = '${groupId}'`)));
}

async function ledgerRows(target: ScratchTarget): Promise<number> {
  const [row] = await target.query('SELECT count(*) AS n FROM public.ledger').catch(() => [{ n: 0 }]);
  return Number(row.n);
}

/**
 * A PostgreSQL target backed up with pg_dump while apply writes it under a payments load, dropped,
 * and restored from the dump: apply resumes from the offsets the dump holds (committed with the
 * rows, so one snapshot has both), re-applies everything after them, and ends equal to the source.
 */
describe('restoring a PostgreSQL target from a pg_dump', () => {
  let source: CaptureFixture;
  let capture: PaysyncProcess;
  const processes: PaysyncProcess[] = [];
  const databases: ScratchTarget[] = [];
  let dump: DumpFile | undefined;

  const startApply = (target: ScratchTarget, groupId: string) => {
    const apply = startPaysync('apply', applyEnv(source, target, groupId, PAYMENTS_TABLES));
    processes.push(apply);
    return apply;
  };

  beforeAll(async () => {
    source = await CaptureFixture.create(PAYMENTS_DDL);
    capture = await source.startCaptureStreaming(PAYMENTS_TABLES);
  });

  afterAll(async () => {
    await killAll(processes);
    for (const db of databases) await db.drop();
    dump?.remove();
    await source?.cleanup();
  });

  it('resumes from the restored offsets, re-applies what came after the dump, and ends equal with the money conserved', async () => {
    const groupId = uniqueName('paysync-apply-restore');
    const original = await createScratchPostgresTarget('paysync_tgt_restore_original');
    databases.push(original);
    const apply = startApply(original, groupId);
    const workload = new PaymentsWorkload(source.db.pool);
    workload.start(3);
    try {
      await waitUntil(() => `apply to write 500 ledger rows; apply said:\n${apply.output().slice(-3000)}`, async () => (await ledgerRows(original)) >= 500, 180_000);

      // The backup, taken while apply writes: one snapshot of the rows and of paysync's offsets and versions.
      dump = await dumpDatabase(original.url);
      const atDump = await ledgerRows(original);
      await waitUntil('apply to write 200 ledger rows after the dump', async () => (await ledgerRows(original)) >= atDump + 200, 180_000);
      apply.kill('SIGTERM');
      expect(await apply.exited).toBe(0);
      const applied = await storedOffsets(original, groupId);
      const atStop = await ledgerRows(original);
      // The target is lost: only the dump is left.
      databases.splice(databases.indexOf(original), 1);
      await original.drop();

      const restored = await createScratchPostgresTarget('paysync_tgt_restore_restored');
      databases.push(restored);
      await restoreDump(dump, restored.url);
      const dumped = offsetsOf((await dumpedRows(dump, 'paysync', 'apply_offsets')).filter((r) => r.group_id === groupId));
      const resumeFrom = await storedOffsets(restored, groupId);
      expect(resumeFrom).toEqual(dumped);
      expect(dumped.size).toBeGreaterThan(0);
      // The dump is behind what apply had applied: that part must be applied again.
      const behind = [...dumped].filter(([partition, offset]) => offset < (applied.get(partition) ?? 0n));
      expect(behind.length).toBeGreaterThan(0);
      expect([...dumped].filter(([partition, offset]) => offset > (applied.get(partition) ?? 0n))).toEqual([]);
      // Kafka's committed offsets of the group (written every second and at stop, for tooling) are past the
      // dump's: started there, apply would skip what came after the dump.
      const committed = await kafkaCommitted(source, groupId);
      expect(behind.filter(([partition, offset]) => (committed.get(partition) ?? -1n) > offset).length).toBeGreaterThan(0);

      const resumed = startApply(restored, groupId);
      // 3 tables of 3 partitions; one the dump holds no offset of (nothing applied there yet) is read from its earliest offset.
      await waitUntil(() => `apply on the restored target to take its 9 partitions; apply said:\n${resumed.output().slice(-3000)}`, () => startsOf(resumed).size === 9, 120_000);
      const fromTarget = [...startsOf(resumed)].filter(([, start]) => start.from === 'target').map(([partition, start]) => [partition, start.offset] as const);
      expect(new Map(fromTarget)).toEqual(resumeFrom);
      // Past what the lost target held, with the load still running.
      await waitUntil('the restored target to write 100 ledger rows more than the lost one held', async () => (await ledgerRows(restored)) >= atStop + 100, 180_000);
      await workload.stop();
      const target: AppliedTarget = { kind: 'postgres', db: restored, apply: resumed, groupId };
      await waitTargetsEqual(source, capture, [target], PAYMENTS_COMPARED);
      expect(await sumOfBalances(restored)).toBe(TOTAL_BALANCE);
      expect(await topicRecordCount(source.kafka, deadLetterTopic(source.prefix, groupId))).toBe(0);
      const reapplied = [...behind].reduce((sum, [partition, offset]) => sum + Number((applied.get(partition) ?? 0n) - offset), 0);
      process.stdout.write(`target restore: ${workload.transactions} source transactions; the dump was ${reapplied} offsets behind on ${behind.length} partitions, re-applied; restored target equal\n`);
    } finally {
      await workload.stop();
    }
  });
});

async function kafkaCommitted(source: CaptureFixture, groupId: string): Promise<Offsets> {
  const admin = source.kafka.admin();
  await admin.connect();
  try {
    const topics = await admin.fetchOffsets({ groupId, topics: PAYMENTS_TABLES.map((t) => source.topic(t)) });
    return new Map(topics.flatMap(({ topic, partitions }) => partitions.map((p) => [`${topic}:${p.partition}`, BigInt(p.offset)] as const)));
  } finally {
    await admin.disconnect();
  }
}

/** Where apply's log says it started each partition (its first assignment): the offset, and whether the target's offsets table gave it. */
function startsOf(apply: PaysyncProcess): Map<string, { offset: bigint; from: string }> {
  const starts = new Map<string, { offset: bigint; from: string }>();
  for (const line of apply.logs()) {
    if (line.msg !== 'partition assigned') continue;
    const partition = `${String(line.topic)}:${String(line.partition)}`;
    if (!starts.has(partition)) starts.set(partition, { offset: BigInt(String(line.offset)), from: String(line.from) });
  }
  return starts;
}
