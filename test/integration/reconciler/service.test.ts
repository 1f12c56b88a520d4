import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serviceHttpUrl, stopService } from '../../../demo/service-process';
import { PAYMENTS_DDL } from '../../../demo/payments-workload';
import { removeAppliedTargets, startAppliedTargets, type AppliedTarget } from '../../support/applied-targets';
import { CaptureFixture } from '../../support/capture-fixture';
import { startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import type { RunReport } from '../../../services/reconciler/src/reconcile-run';
import { reconcilerEnv } from '../../support/reconcile-once';
import { waitUntil } from '../../support/wait';

jest.setTimeout(240_000);

const ACCOUNTS = 'public.accounts';
const TOKEN = 'test-admin-token';

/** `paysync reconcile` as a service: scheduled runs, webhook, repair, GET /report, POST /reconcile, metrics, admin token, SIGTERM. */
describe('reconciler service', () => {
  let source: CaptureFixture;
  let targets: AppliedTarget[] = [];
  let reconciler: PaysyncProcess | undefined;
  let webhook: Server;
  const posted: RunReport[] = [];

  beforeAll(async () => {
    source = await CaptureFixture.create(PAYMENTS_DDL);
    // Transactional apply reads only the transaction topic: a repair must arrive there too.
    await source.startCaptureStreaming([ACCOUNTS], { PAYSYNC_TRANSACTION_TOPIC: 'true' });
    targets = await startAppliedTargets(source, [ACCOUNTS], ['postgres'], { PAYSYNC_APPLY_MODE: 'transactional' });
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        posted.push(JSON.parse(body) as RunReport);
        res.end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    if (reconciler) await stopService(reconciler);
    await new Promise((resolve) => webhook?.close(resolve));
    await removeAppliedTargets(targets);
    await source?.cleanup();
  });

  it('runs on its schedule, posts drift to the webhook, repairs it through capture, and serves report, on-demand runs and metrics behind its token', async () => {
    const [{ db, groupId }] = targets;
    const { rows } = await source.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM accounts');
    const accountsInTarget = async () => Number((await db.query('SELECT count(*) AS n FROM public.accounts'))[0].n);
    await waitUntil('the accounts in the target', async () => (await accountsInTarget()) === Number(rows[0].n), 120_000, 500);
    await db.query('DELETE FROM public.accounts WHERE id = 5');

    reconciler = startPaysync('reconcile', reconcilerEnv(source, db, groupId, [ACCOUNTS], {
      PAYSYNC_RECONCILE_INTERVAL_MS: '1000',
      PAYSYNC_RECONCILE_REPAIR: 'true',
      PAYSYNC_ADMIN_TOKEN: TOKEN,
      PAYSYNC_RECONCILE_WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/drift`,
    }));
    const url = await serviceHttpUrl(reconciler, 'reconciler running');
    const admin = { authorization: `Bearer ${TOKEN}` };

    await waitUntil('a scheduled run to post its drift to the webhook', () => posted.length > 0, 120_000, 200);
    expect(posted[0].tables[0]).toMatchObject({ table: ACCOUNTS, missing: [{ id: 5 }], extra: [], different: [], repaired: 1 });
    // The repair went source -> capture -> transaction topic -> transactional apply.
    await waitUntil('the repaired account back in the target', async () => Number((await db.query('SELECT count(*) AS n FROM public.accounts WHERE id = 5'))[0].n) === 1, 120_000, 500);

    expect((await fetch(`${url}/report`)).status).toBe(401);
    const report = (await (await fetch(`${url}/report`, { headers: admin })).json()) as { reports: RunReport[] };
    expect(report.reports.some((r) => r.tables[0].missing.length === 1)).toBe(true);

    expect((await fetch(`${url}/reconcile?table=${ACCOUNTS}`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${url}/reconcile?table=public.nope`, { method: 'POST', headers: admin })).status).toBe(400);
    const onDemand = await fetch(`${url}/reconcile?table=${ACCOUNTS}`, { method: 'POST', headers: admin });
    expect(onDemand.status).toBe(200);
    expect(((await onDemand.json()) as RunReport).tables).toEqual([expect.objectContaining({ table: ACCOUNTS, missing: [], extra: [], different: [] })]);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^paysync_reconcile_drift_rows\{[^}]*table="public\.accounts"[^}]*kind="missing"[^}]*\} 0$/m);
    expect(metrics).toMatch(/^paysync_reconcile_last_success_timestamp_seconds\{[^}]*table="public\.accounts"[^}]*\} \d/m);
    expect(metrics).toMatch(/^paysync_reconcile_rows_scanned_total\{[^}]*table="public\.accounts"[^}]*\} [1-9]/m);

    expect(await stopService(reconciler)).toBe(0);
    reconciler = undefined;
  });
});
