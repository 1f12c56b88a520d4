import { PAYMENTS_COMPARED, PAYMENTS_DDL, PAYMENTS_TABLES, PaymentsWorkload } from '../../../demo/payments-workload';
import { serviceHttpUrl } from '../../../demo/service-process';
import { removeAppliedTargets, startAppliedTargets, waitTargetsEqual, type AppliedTarget } from '../../support/applied-targets';
import { CaptureFixture } from '../../support/capture-fixture';
import { freePort } from '../../support/free-port';
import { exitedByItself, killAll, startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import { reconcilerEnv } from '../../support/reconcile-once';
import { stackAddresses } from '../../support/stack-addresses';
import { waitUntil } from '../../support/wait';

jest.setTimeout(480_000);

interface StatusJson {
  verdict: { state: string; reasons: string[] };
  source: { status: { walLevel: string; slots: { slot: string; active: boolean; confirmedLsn: string }[] } };
  targets: { target: string; groups: { groupId: string; behindRecords: number; deadLetters: number }[]; error?: string }[];
  reconcilers: { url: string; status?: { tables: number; driftRows: number; oldestSuccessAt: string | null }; error?: string }[];
}

/** `paysync status` over a running pipeline: a capture, two applied targets and a reconciler service. */
describe('paysync status', () => {
  let source: CaptureFixture;
  let capture: PaysyncProcess;
  let targets: AppliedTarget[] = [];
  let reconciler: PaysyncProcess;
  let reconcilerUrl: string;
  const processes: PaysyncProcess[] = [];

  beforeAll(async () => {
    source = await CaptureFixture.create(PAYMENTS_DDL);
    capture = await source.startCaptureStreaming(PAYMENTS_TABLES);
    targets = await startAppliedTargets(source, PAYMENTS_TABLES);
    const postgres = targets.find((t) => t.kind === 'postgres')!;
    reconciler = startPaysync('reconcile', reconcilerEnv(source, postgres.db, postgres.groupId, PAYMENTS_TABLES, { PAYSYNC_RECONCILE_INTERVAL_MS: '2000' }));
    processes.push(reconciler);
    reconcilerUrl = await serviceHttpUrl(reconciler, 'reconciler running');
    const workload = new PaymentsWorkload(source.db.pool);
    workload.start(2);
    try {
      await waitUntil('200 source transactions', () => workload.transactions >= 200, 120_000);
    } finally {
      await workload.stop();
    }
    await waitTargetsEqual(source, capture, targets, PAYMENTS_COMPARED, (t, table) => (t.kind === 'mysql' ? table.name.split('.')[1] : table.name));
  });

  afterAll(async () => {
    await killAll(processes);
    await removeAppliedTargets(targets);
    await source?.cleanup();
  });

  function statusEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PAYSYNC_SOURCE_URL: source.db.url,
      PAYSYNC_SLOT: source.slot,
      PAYSYNC_STATUS_TARGET_URLS: targets.map((t) => t.db.url).join(','),
      PAYSYNC_STATUS_RECONCILER_URLS: reconcilerUrl,
      PAYSYNC_KAFKA_BROKERS: stackAddresses().PAYSYNC_TEST_KAFKA_BROKERS,
      PAYSYNC_TOPIC_PREFIX: source.prefix,
      ...extra,
    };
  }

  async function status(args: string[] = [], extra: Record<string, string> = {}): Promise<{ code: number | string; output: string }> {
    const run = startPaysync('status', statusEnv(extra), args);
    processes.push(run);
    const code = await exitedByItself(run, `paysync status ${args.join(' ')}`, 60_000);
    return { code, output: run.output() };
  }

  it('shows capture, every apply group of both targets and the reconciler, with the verdict ok (screen and --json)', async () => {
    let last = { code: -1 as number | string, output: '' };
    await waitUntil(() => `status to say ok; it said:\n${last.output}`, async () => (last = await status()).code === 0, 120_000, 1000);
    expect(last.output).toMatch(/^verdict: ok$/m);
    expect(last.output).toMatch(new RegExp(`^  ${source.slot}\\s+yes\\s+\\d+`, 'm'));
    for (const t of targets) expect(last.output).toMatch(new RegExp(`${t.groupId}\\s+0\\s+-\\s+0\\s`));
    expect(last.output).toContain(reconcilerUrl);
    for (const t of [source.db, ...targets.map((x) => x.db)]) expect(last.output).not.toContain(`:${new URL(t.url).password}@`);

    const { code, output } = await status(['--json']);
    expect(code).toBe(0);
    const json = JSON.parse(output) as StatusJson;
    expect(json.verdict).toEqual({ state: 'ok', reasons: [] });
    expect(json.source.status).toMatchObject({ walLevel: 'logical', slots: [{ slot: source.slot, active: true }] });
    expect(json.targets.map((t) => t.groups)).toEqual(targets.map((t) => [expect.objectContaining({ groupId: t.groupId, behindRecords: 0, deadLetters: 0 })]));
    expect(json.reconcilers).toEqual([{ url: reconcilerUrl, status: expect.objectContaining({ tables: PAYMENTS_TABLES.length, driftRows: 0, oldestSuccessAt: expect.any(String) }) }]);
  });

  it('says degraded (exit 1) naming the group when an apply stops with records waiting', async () => {
    const mysql = targets.find((t) => t.kind === 'mysql')!;
    mysql.apply.kill('SIGSTOP');
    try {
      await source.db.pool.query(`UPDATE accounts SET owner = owner || '.' WHERE id <= 5`);
      let last = { code: -1 as number | string, output: '' };
      await waitUntil(
        () => `status to report the stopped apply; it said:\n${last.output}`,
        async () => (last = await status(['--json'], { PAYSYNC_STATUS_STALL_SECONDS: '2' })).code === 1,
        120_000,
        1000,
      );
      const json = JSON.parse(last.output) as StatusJson;
      expect(json.verdict.state).toBe('degraded');
      expect(json.verdict.reasons).toEqual([expect.stringMatching(new RegExp(`group ${mysql.groupId}: \\d+ records waiting and no progress for [\\d.]+ s$`))]);
    } finally {
      mysql.apply.kill('SIGCONT');
    }
    let after = { code: -1 as number | string, output: '' };
    await waitUntil(() => `status ok again once apply goes on; it said:\n${after.output}`, async () => (after = await status()).code === 0, 120_000, 1000);
  });

  it('exits 3 naming a part it cannot reach, and 2 with the setting when a target refuses its password', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const away = await status([], { PAYSYNC_STATUS_RECONCILER_URLS: nobody });
    expect(away.code).toBe(3);
    expect(away.output).toMatch(/^verdict: unreachable$/m);
    expect(away.output).toContain(`reconciler ${nobody}: `);
    expect(away.output).toMatch(/^capture \(source /m); // the parts it reached are still shown

    const postgres = targets.find((t) => t.kind === 'postgres')!;
    const wrong = new URL(postgres.db.url);
    wrong.password = 'not-the-password-7f3a';
    const refused = await status([], { PAYSYNC_STATUS_TARGET_URLS: wrong.toString() });
    expect(refused.code).toBe(2);
    expect(refused.output).toMatch(/^paysync status: PAYSYNC_STATUS_TARGET_URLS: /m);
    expect(refused.output).not.toContain('not-the-password-7f3a');
  });

  it('refreshes with --watch until stopped, one JSON object per refresh', async () => {
    const watch = startPaysync('status', statusEnv({ PAYSYNC_STATUS_REFRESH_MS: '300' }), ['--watch', '--json']);
    processes.push(watch);
    const objects = () => watch.output().split('\n').filter((l) => l.startsWith('{"at"'));
    await waitUntil(() => `three refreshes; it printed:\n${watch.output().slice(-2000)}`, () => objects().length >= 3, 60_000, 100);
    watch.kill('SIGTERM');
    expect(await exitedByItself(watch, 'status --watch after SIGTERM')).toBe(0);
    const ats = objects().map((l) => (JSON.parse(l) as { at: string }).at);
    expect(new Set(ats).size).toBe(ats.length);
  });
});
