import { defineCommand } from '@paysync/config';
import { checkPostgresAccess, createPool, type Pool } from '@paysync/postgres';
import { captureSettings } from './settings';
import { requestProblem } from './snapshot/request-validation';
import { parseSnapshotFlags } from './snapshot/snapshot-flags';
import { SnapshotRequests } from './snapshot/snapshot-requests';
import { withStartupLock } from './startup/startup-lock';

/** Capture's own settings: the request is for the capture of this source and slot, and only for its tables. */
const snapshotSettings = { sourceUrl: captureSettings.sourceUrl, tables: captureSettings.tables, slot: captureSettings.slot };

/** How often --wait looks at the request. */
const WAIT_POLL_MS = 500;

const say = (line: string) => process.stderr.write(`paysync snapshot: ${line}\n`);

async function waitUntilFinished(requests: SnapshotRequests, id: string): Promise<number> {
  for (;;) {
    const request = await requests.get(id);
    if (!request) {
      say(`request ${id} is gone from the source (deleted?)`);
      return 1;
    }
    if (request.state === 'done') {
      process.stdout.write(`snapshot request ${id} done: ${request.rowsSent} rows sent\n`);
      return 0;
    }
    if (request.state === 'failed') {
      say(`request ${id} failed: ${request.error}`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}

async function request(pool: Pool, config: { tables: string[]; slot: string }, args: string[]): Promise<number> {
  const flags = parseSnapshotFlags(args);
  if (typeof flags === 'string') {
    say(`${flags}; see paysync snapshot --help`);
    return 2;
  }
  const wrong = await requestProblem(pool, config.tables, flags.table, flags.where);
  if (wrong) {
    say(`${wrong.problem}; ${wrong.fix}`);
    return 2;
  }
  const requests = new SnapshotRequests(pool, config.slot);
  let id: string;
  try {
    // Under capture's start-up lock: a capture starting now may be creating the same table.
    await withStartupLock(pool, (db) => new SnapshotRequests(db, config.slot).ensureTable());
    id = await requests.add(flags.table, flags.where);
  } catch (err) {
    if (typeof (err as { code?: unknown }).code !== 'string') throw err;
    say(`could not write the request into schema paysync: ${(err as Error).message}; run it as capture's role (deploy/sql/postgres-capture-role.sql gives it the schema)`);
    return 1;
  }
  process.stdout.write(`snapshot request ${id}: ${flags.table}${flags.where === null ? '' : ` where ${flags.where}`}, for the capture of slot ${config.slot}\n`);
  return flags.wait ? waitUntilFinished(requests, id) : 0;
}

/** `paysync snapshot`: asks the streaming capture for an on-demand watermark snapshot (DESIGN.md 3.3). */
export const snapshotCommand = defineCommand({
  name: 'snapshot',
  summary: 'Ask the streaming capture to re-send a table, or its rows matching a condition, as snapshot reads (no restart).',
  usage: [
    'Writes a request into the source (schema paysync and a WAL message); the capture of PAYSYNC_SLOT serves it in watermark chunks, resumes it after a crash, and shows it in paysync status.',
    '  --table schema.table  one of PAYSYNC_TABLES (required)',
    '  --where "condition"   only the rows matching this SQL condition, e.g. --where "created_at > now() - interval \'1 day\'"',
    '  --wait                wait until capture has sent every row, then print how many (exit 1 if the request failed)',
    'A table not captured, a table the source lacks, or a condition PostgreSQL refuses exits 2 and writes nothing.',
  ].join('\n'),
  settings: snapshotSettings,
  run: async (config, args) => {
    const pool = createPool(config.sourceUrl, { applicationName: 'paysync-snapshot', max: 2 });
    try {
      await checkPostgresAccess(pool, config.sourceUrl, 'PAYSYNC_SOURCE_URL');
      return await request(pool, config, args);
    } finally {
      await pool.end();
    }
  },
});
