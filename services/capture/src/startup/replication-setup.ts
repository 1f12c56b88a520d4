import { qualifiedName, quoteIdent, type Queryable } from '@paysync/postgres';
import { splitTableName } from '../table-name';
import { planSlot } from './slot-safety';

export interface ReplicationSetup {
  /** True when the slot was created now: nothing was captured yet, every table needs a snapshot. */
  slotCreated: boolean;
  /** True when it replaced a slot lost after capturing (PAYSYNC_RESNAPSHOT_ON_SLOT_LOSS). */
  slotRecreated: boolean;
  /** Tables added to the publication now (they need a snapshot). */
  tablesAdded: string[];
}


/**
 * Makes the publication list exactly the configured tables and creates the pgoutput slot if it
 * is missing. The publication is changed before the slot is created, so a new slot never misses
 * a change of a configured table.
 */
export async function ensureReplicationSetup(db: Queryable, options: { slot: string; publication: string; tables: string[]; resnapshotOnSlotLoss?: boolean }): Promise<ReplicationSetup> {
  // Decided before anything changes, so a refused start leaves the source as it was.
  const plan = await planSlot(db, options.slot, options.resnapshotOnSlotLoss ?? false);
  const wanted = options.tables.map((t) => qualifiedName(...splitTableName(t)));
  const { rows: pub } = await db.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [options.publication]);
  let tablesAdded: string[] = [];
  if (pub.length === 0) {
    await db.query(`CREATE PUBLICATION ${quoteIdent(options.publication)} FOR TABLE ${wanted.join(', ')}`);
    tablesAdded = [...options.tables];
  } else {
    const { rows } = await db.query<{ name: string }>(
      `SELECT schemaname || '.' || tablename AS name FROM pg_publication_tables WHERE pubname = $1`,
      [options.publication],
    );
    const present = new Set(rows.map((r) => r.name));
    tablesAdded = options.tables.filter((t) => !present.has(t));
    const removed = [...present].filter((t) => !options.tables.includes(t));
    if (tablesAdded.length > 0 || removed.length > 0) {
      await db.query(`ALTER PUBLICATION ${quoteIdent(options.publication)} SET TABLE ${wanted.join(', ')}`);
    }
  }
  if (plan === 'recreate') await db.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [options.slot]);
  if (plan !== 'use') await db.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [options.slot]);
  return { slotCreated: plan !== 'use', slotRecreated: plan === 'recreate', tablesAdded };
}

/**
 * Waits while another connection streams from the slot: after a crash the server may hold the old
 * walsender for a while (until it notices the dead socket), and a second capture must not take
 * over a live one. Waiting, instead of exiting, keeps a restarted capture out of a crash loop.
 */
export async function waitForSlotRelease(db: Queryable, slot: string, onWait: (pid: string, waitedMs: number) => void, cancelled: () => boolean = () => false): Promise<void> {
  const started = Date.now();
  let reported = 0;
  while (!cancelled()) {
    const { rows } = await db.query<{ pid: string | null }>('SELECT active_pid::text AS pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    const pid = rows[0]?.pid;
    if (!pid) return;
    const waited = Date.now() - started;
    if (waited - reported >= 10_000 || reported === 0) {
      onWait(pid, waited);
      reported = Math.max(waited, 1);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
