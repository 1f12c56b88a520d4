/**
 * `npm run demo`: the whole pipeline on this machine, ending in a row-for-row proof that the copy
 * is right.
 *
 *   npm run demo [-- SECONDS]        (or PAYSYNC_DEMO_SECONDS; default 20 s of load)
 *
 * Brings the local stack up unless PAYSYNC_TEST_* addresses are given, recreates
 * paysync_demo_source (payments schema) and paysync_demo_target, runs the built `paysync capture`
 * and `paysync apply` as child processes, drives the payments load with a live progress line on
 * stderr, then waits for the target to catch up and compares both databases. The databases and
 * topics stay for a look until the next run; the slot is dropped (it would keep WAL forever).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createPool, lsnToBigInt, type Pool } from '@paysync/postgres';
import { testKafka, withDatabase } from '../test/support/fixtures';
import { startPaysync, type PaysyncProcess } from '../test/support/paysync-process';
import { addressesFromEnvironment, STACK_KEYS, type StackAddresses } from '../test/support/stack-addresses';
import { sleep, waitUntil } from '../test/support/wait';
import { pgRows, rowDifferences } from './compare-rows';
import { PAYMENTS_COMPARED, PAYMENTS_DDL, PAYMENTS_TABLES, PaymentsWorkload, TOTAL_BALANCE } from './payments-workload';
import { readApplyMetrics } from './prometheus-text';
import { ProgressLine } from './progress-line';
import { failIfExited, serviceHttpUrl, stopService } from './service-process';
import { deleteRegistrySubjectsStartingWith, deleteTopicsStartingWith, dropSlotsOf, recreateDatabase } from './stack-cleanup';

const SOURCE_DB = 'paysync_demo_source';
const TARGET_DB = 'paysync_demo_target';
const TOPIC_STEM = 'paysync-demo-';
const WRITERS = 4;
const CATCH_UP_TIMEOUT_MS = 180_000;

const say = (line: string): boolean => process.stderr.write(`[demo] ${line}\n`);

/** Addresses given in the environment (e.g. docker-compose) win; otherwise the local stack, started if down. */
function stack(): StackAddresses {
  if (!STACK_KEYS.every((k) => process.env[k])) {
    say('bringing the local stack up (scripts/stack/up.sh; quick when it already runs)');
    const up = spawnSync('bash', [join(__dirname, '..', 'scripts', 'stack', 'up.sh')], { stdio: ['ignore', 2, 2] });
    if (up.status !== 0) throw new Error(`scripts/stack/up.sh failed (exit ${up.status ?? up.signal})`);
  }
  const addresses = addressesFromEnvironment();
  if (!addresses) throw new Error('no stack addresses: scripts/stack/up.sh did not write .stack/env');
  return addresses;
}

type Services = Record<'capture' | 'apply', PaysyncProcess>;

let interrupted = false;

/** Ends the demo's current step when Ctrl-C was pressed or a service died, so the cleanup runs. */
function failIfStopped(services: Partial<Services>): void {
  if (interrupted) throw new Error('interrupted');
  failIfExited(services);
}

/** Runs the load for `seconds`, showing rates and lag once a second; returns transactions and elapsed seconds. */
async function driveLoad(source: Pool, applyUrl: string, seconds: number, services: Services): Promise<{ transactions: number; seconds: number }> {
  const workload = new PaymentsWorkload(source);
  const progress = new ProgressLine();
  const started = Date.now();
  let last = { at: started, transactions: 0, rows: (await readApplyMetrics(applyUrl)).rowsApplied };
  workload.start(WRITERS);
  try {
    while (Date.now() - started < seconds * 1000) {
      await sleep(1000);
      failIfStopped(services);
      const now = Date.now();
      const apply = await readApplyMetrics(applyUrl);
      const dt = (now - last.at) / 1000;
      progress.update(
        `load ${Math.round((now - started) / 1000)}/${seconds} s | source ${Math.round((workload.transactions - last.transactions) / dt)} tx/s` +
          ` | applied ${Math.round((apply.rowsApplied - last.rows) / dt)} rows/s | apply lag ${apply.lagSeconds.toFixed(2)} s`,
      );
      last = { at: now, transactions: workload.transactions, rows: apply.rowsApplied };
    }
  } finally {
    await workload.stop();
    progress.done();
  }
  return { transactions: workload.transactions, seconds: (Date.now() - started) / 1000 };
}

/**
 * Waits until the slot confirmed the source's WAL insert position: every write is in Kafka. (Not
 * pg_current_wal_lsn(): with synchronous_commit off it can lie before a commit that already returned.)
 */
async function waitCaptured(source: Pool, slot: string, services: Services): Promise<void> {
  const { rows } = await source.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
  const end = lsnToBigInt(rows[0].lsn);
  await waitUntil(
    `capture to confirm ${rows[0].lsn} on slot ${slot}`,
    async () => {
      failIfStopped(services);
      const { rows: slots } = await source.query<{ lsn: string | null }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      return slots[0]?.lsn != null && lsnToBigInt(slots[0].lsn) >= end;
    },
    CATCH_UP_TIMEOUT_MS,
  );
}

interface Comparison {
  differences: string[];
  rowCounts: string[];
}

async function compare(source: Pool, target: Pool): Promise<Comparison> {
  const result: Comparison = { differences: [], rowCounts: [] };
  for (const table of PAYMENTS_COMPARED) {
    const sourceRows = await pgRows(source, table);
    result.differences.push(...rowDifferences(sourceRows, await pgRows(target, table)).map((d) => `${table.name}: ${d}`));
    result.rowCounts.push(`${table.name.split('.')[1]} ${sourceRows.size} rows`);
  }
  return result;
}

/** Compares until equal (apply may still be committing its last batches) or the time is up; returns the last comparison. */
async function compareUntilEqual(source: Pool, target: Pool, services: Services): Promise<Comparison> {
  const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
  for (;;) {
    failIfStopped(services);
    const comparison = await compare(source, target);
    if (comparison.differences.length === 0 || Date.now() > deadline) return comparison;
    await sleep(500);
  }
}

async function totalBalance(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ total: string }>('SELECT sum(balance)::text AS total FROM public.accounts');
  return rows[0].total;
}

async function main(): Promise<number> {
  const seconds = Number(process.argv[2] ?? process.env.PAYSYNC_DEMO_SECONDS ?? 20);
  if (!(seconds > 0)) {
    process.stderr.write('usage: npm run demo [-- SECONDS]  (seconds of load, > 0; or PAYSYNC_DEMO_SECONDS)\n');
    return 2;
  }
  const addresses = stack();
  const adminUrl = addresses.PAYSYNC_TEST_PG_URL;
  const run = Date.now().toString(36);
  const slot = `paysync_demo_${run}`;
  const prefix = `${TOPIC_STEM}${run}`;

  say(`recreating ${SOURCE_DB} (payments schema) and ${TARGET_DB}; removing topics and subjects of earlier demo runs`);
  await recreateDatabase(adminUrl, SOURCE_DB);
  await recreateDatabase(adminUrl, TARGET_DB);
  await deleteTopicsStartingWith(testKafka(), TOPIC_STEM);
  await deleteRegistrySubjectsStartingWith(addresses.PAYSYNC_TEST_REGISTRY_URL, TOPIC_STEM);
  const sourceUrl = withDatabase(adminUrl, SOURCE_DB);
  const targetUrl = withDatabase(adminUrl, TARGET_DB);
  const source = createPool(sourceUrl, { applicationName: 'paysync-demo-load', max: WRITERS + 1 });
  const target = createPool(targetUrl, { applicationName: 'paysync-demo-verify', max: 1 });
  for (const statement of PAYMENTS_DDL) await source.query(statement);

  const common = {
    PAYSYNC_TABLES: PAYMENTS_TABLES.join(','),
    PAYSYNC_KAFKA_BROKERS: addresses.PAYSYNC_TEST_KAFKA_BROKERS,
    PAYSYNC_SCHEMA_REGISTRY_URL: addresses.PAYSYNC_TEST_REGISTRY_URL,
    PAYSYNC_TOPIC_PREFIX: prefix,
  };
  const started: Partial<Services> = {};
  // Ctrl-C: end the current step; the cleanup below still stops the services and drops the slot.
  process.once('SIGINT', () => (interrupted = true));
  try {
    started.capture = startPaysync('capture', { ...common, PAYSYNC_SOURCE_URL: sourceUrl, PAYSYNC_SLOT: slot, PAYSYNC_PUBLICATION: slot, PAYSYNC_HEARTBEAT_INTERVAL_MS: '1000' });
    say(`capture: slot ${slot}, topics ${prefix}.public.*, metrics ${await serviceHttpUrl(started.capture, 'capture streaming')}/metrics`);
    started.apply = startPaysync('apply', { ...common, PAYSYNC_TARGET_URL: targetUrl, PAYSYNC_GROUP_ID: `paysync-demo-${run}` });
    const applyUrl = await serviceHttpUrl(started.apply, 'apply running');
    say(`apply: into ${TARGET_DB}, metrics ${applyUrl}/metrics`);
    const services = started as Services;

    say(`payments load for ${seconds} s (${WRITERS} writers: transfers, refunds, new accounts, closures)`);
    const load = await driveLoad(source, applyUrl, seconds, services);
    const stoppedAt = Date.now();
    say('load stopped; waiting for capture to confirm every write and for the target to equal the source');
    await waitCaptured(source, slot, services);
    const comparison = await compareUntilEqual(source, target, services);
    const caughtUp = (Date.now() - stoppedAt) / 1000;
    const applied = await readApplyMetrics(applyUrl);
    const balances = { source: await totalBalance(source), target: await totalBalance(target) };
    // What an SRE would look at: the pipeline as paysync status sees it, with everything still running.
    const status = startPaysync('status', {
      PAYSYNC_SOURCE_URL: sourceUrl,
      PAYSYNC_SLOT: slot,
      PAYSYNC_STATUS_TARGET_URLS: targetUrl,
      PAYSYNC_KAFKA_BROKERS: common.PAYSYNC_KAFKA_BROKERS,
      PAYSYNC_TOPIC_PREFIX: prefix,
    });
    say(`paysync status (exit ${await status.exited}):\n${status.output().trimEnd()}`);
    for (const [name, service] of Object.entries(services)) say(`${name} stopped (exit ${await stopService(service)})`);

    console.log(`load: ${load.transactions} transactions in ${load.seconds.toFixed(1)} s (${Math.round(load.transactions / load.seconds)} tx/s, ${WRITERS} writers)`);
    console.log(`apply: ${applied.rowsApplied} row changes applied; target caught up ${caughtUp.toFixed(1)} s after the load stopped`);
    console.log(`kept for a look until the next run: databases ${SOURCE_DB}, ${TARGET_DB}; topics ${prefix}.*`);
    const balanceProblem = balances.source !== TOTAL_BALANCE || balances.target !== TOTAL_BALANCE;
    if (comparison.differences.length > 0 || balanceProblem) {
      for (const d of comparison.differences) console.log(`  ${d}`);
      if (balanceProblem) console.log(`  total balance: source ${balances.source}, target ${balances.target}, expected ${TOTAL_BALANCE}`);
      console.log('verification FAILED: the target differs from the source (first differences listed above)');
      return 1;
    }
    console.log(`verification: source and target are equal (${comparison.rowCounts.join(', ')}; total balance ${TOTAL_BALANCE} on both)`);
    return 0;
  } finally {
    await Promise.all(Object.values(started).map((service) => stopService(service)));
    await dropSlotsOf(adminUrl, SOURCE_DB);
    await source.end();
    await target.end();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(interrupted ? 130 : 1);
  },
);
