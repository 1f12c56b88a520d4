/**
 * What the end-to-end benchmarks share (bench/end-to-end.ts, bench/end-to-end-peers.ts): a paysync
 * pipeline (built `paysync capture` and `paysync apply` on a fresh payments source and PostgreSQL
 * target), the timed bulk load of the ledger, and the machine line of the report.
 */
import { createPool, lsnToBigInt, type Pool } from '@paysync/postgres';
import { ACCOUNTS, PAYMENTS_TABLES } from '../demo/payments-workload';
import { failIfExited, serviceHttpUrl, stopService } from '../demo/service-process';
import { deleteRegistrySubjectsStartingWith } from '../demo/stack-cleanup';
import type { PipelineFixture } from '../test/support/pipeline-fixture';
import { stackAddresses } from '../test/support/stack-addresses';
import { sleep } from '../test/support/wait';
import type { PaysyncProcess } from '../test/support/paysync-process';
import { loadAverage, machine, postgresVersion } from './machine';

/** A command-line value that must be a whole number >= 1. */
export function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number >= 1, got ${text}`);
  return value;
}

/** Below this the pipeline is stuck rather than slow: bounds every wait, so a hang ends in an error. */
const FLOOR_ROWS_PER_S = 500;

export const now = (): number => performance.now();

/** A check for a polling loop: throws when `alive` throws or the step took longer than `items` at the floor rate allow. */
export function deadline(step: string, items: number, alive: () => void): () => void {
  const limitSeconds = 60 + Math.ceil(items / FLOOR_ROWS_PER_S);
  const limit = now() + limitSeconds * 1000;
  return () => {
    alive();
    if (now() > limit) throw new Error(`${step}: not done after ${limitSeconds} s`);
  };
}

async function count(pool: Pool, sql: string): Promise<number> {
  const { rows: found } = await pool.query<{ n: string }>(sql);
  return Number(found[0].n);
}

/** Rows of a target table; 0 while the pipeline has not created it yet (it does with the table's first batch). */
export function targetRows(target: Pool, table: string): Promise<number> {
  return count(target, `SELECT count(*) AS n FROM ${table}`).catch((err: { code?: string }) => {
    if (err.code === '42P01') return 0;
    throw err;
  });
}

export interface Throughput {
  loadSeconds: number;
  /**
   * When the slot confirmed the end of the load: everything was read from the WAL and, for a
   * pipeline through Kafka, acknowledged there. Undefined when that came not within
   * SLOT_GRACE_MS after the target held every row (a peer may confirm only now and then).
   */
  capturedSeconds?: number;
  appliedSeconds: number;
}

export interface LedgerLoad {
  source: Pool;
  target: Pool;
  /** The logical replication slot the pipeline under test reads. */
  slot: string;
  rows: number;
  perTx: number;
  /** Throws when a process of the pipeline died: the wait would never end. */
  alive: () => void;
}

const SLOT_GRACE_MS = 60_000;

/** Bulk load into the ledger; times from the first source commit to the slot's confirmation and to the target holding every row. */
export async function timedLedgerLoad({ source, target, slot, rows, perTx, alive }: LedgerLoad): Promise<Throughput> {
  const expected = (await count(source, 'SELECT count(*) AS n FROM public.ledger')) + rows;
  const check = deadline('throughput: target to hold every row', rows, alive);
  let firstCommit: number | undefined;
  let loaded: { at: number; lsn: bigint } | undefined;
  let failed: unknown;
  void (async () => {
    for (let done = 0; done < rows; done += perTx) {
      await source.query(
        `INSERT INTO public.ledger (account_id, amount) SELECT 1 + g % ${ACCOUNTS}, (g % 5000) / 100.0 FROM generate_series(1, $1::int) g`,
        [Math.min(perTx, rows - done)],
      );
      firstCommit ??= now();
    }
    // The insert position: the write position can lie before a commit that already returned.
    const { rows: lsn } = await source.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    loaded = { at: now(), lsn: lsnToBigInt(lsn[0].lsn) };
  })().catch((err: unknown) => (failed = err));
  // Polled independently: the slot's confirmed position may be reported after the target already committed the rows.
  let captured: number | undefined;
  let applied: number | undefined;
  let held = 0;
  let confirmed: string | null = null;
  for (;;) {
    if (failed) throw failed;
    const polled = now();
    if (loaded && captured === undefined) {
      const { rows: found } = await source.query<{ lsn: string | null }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      confirmed = found[0]?.lsn ?? null;
      if (confirmed != null && lsnToBigInt(confirmed) >= loaded.lsn) captured = polled;
    }
    if (applied === undefined) {
      held = await targetRows(target, 'public.ledger');
      if (held >= expected) applied = polled;
    }
    if (applied !== undefined && (captured !== undefined || polled - applied > SLOT_GRACE_MS)) {
      const start = firstCommit as number;
      const seconds = (at: number): number => (at - start) / 1000;
      return { loadSeconds: seconds((loaded as { at: number }).at), capturedSeconds: captured === undefined ? undefined : seconds(captured), appliedSeconds: seconds(applied) };
    }
    try {
      // Once the target holds every row, only the slot is waited for, and SLOT_GRACE_MS bounds that.
      if (applied === undefined) check();
    } catch (err) {
      const state = `the target holds ${held} of ${expected} rows; slot ${slot} confirmed ${confirmed ?? 'nothing'}${loaded ? `, the load ended at ${loaded.lsn.toString(16)}` : ', the load is still running'}`;
      throw new Error(`${(err as Error).message}: ${state}`);
    }
    await sleep(250);
  }
}

export interface Pipeline {
  fixture: PipelineFixture;
  services: Record<'capture' | 'apply', PaysyncProcess>;
  source: Pool;
  target: Pool;
}

export const pipelineAlive = (pipeline: Pipeline) => (): void => failIfExited(pipeline.services);

/**
 * Starts capture and apply in `mode` on the fixture's fresh source and target, and waits for the
 * accounts snapshot in the target; undefined when this apply does not offer the mode.
 */
export async function startPipeline(fixture: PipelineFixture, mode: string, sourceConnections: number): Promise<Pipeline | undefined> {
  const capture = await fixture.capture.startCaptureStreaming(PAYMENTS_TABLES, mode === 'transactional' ? { PAYSYNC_TRANSACTION_TOPIC: 'true' } : {});
  const apply = fixture.startApply({ PAYSYNC_APPLY_MODE: mode });
  try {
    await serviceHttpUrl(apply, 'apply running');
  } catch (err) {
    if (/not available yet/.test(apply.output())) return undefined;
    throw err;
  }
  const pipeline: Pipeline = {
    fixture,
    services: { capture, apply },
    source: createPool(fixture.capture.db.url, { applicationName: 'paysync-bench-source', max: sourceConnections }),
    target: createPool(fixture.target.url, { applicationName: 'paysync-bench-target', max: 2 }),
  };
  // The snapshot of the accounts comes first: measurements start on a target that has caught up.
  const check = deadline('the accounts snapshot to reach the target', ACCOUNTS, pipelineAlive(pipeline));
  while ((await targetRows(pipeline.target, 'public.accounts')) < ACCOUNTS) {
    check();
    await sleep(100);
  }
  return pipeline;
}

/** Stops the services and removes everything the fixture created: databases, slot, topics (with the group's offsets), registry subjects. */
export async function removePipeline(fixture: PipelineFixture, pipeline: Pipeline | undefined): Promise<void> {
  if (pipeline) {
    for (const service of Object.values(pipeline.services)) await stopService(service);
    await pipeline.source.end();
    await pipeline.target.end();
  }
  await fixture.cleanup();
  await deleteRegistrySubjectsStartingWith(stackAddresses().PAYSYNC_TEST_REGISTRY_URL, `${fixture.capture.prefix}.`);
}

/** The machine line of an end-to-end report: every process of the pipeline ran on it, with the stack. */
export async function e2eMachine(): Promise<string> {
  return `${machine([await postgresVersion(stackAddresses().PAYSYNC_TEST_PG_URL), 'Kafka 3.9.1 single node (KRaft)'])}; load average ${loadAverage()} at the end`;
}
