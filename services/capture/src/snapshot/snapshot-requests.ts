import { randomUUID } from 'node:crypto';
import { SNAPSHOT_REQUEST_PREFIX } from '@paysync/contract';
import type { Queryable } from '@paysync/postgres';
import { BOOKKEEPING_SCHEMA, ensureBookkeepingTable } from './bookkeeping-table';
import { parseTextArray } from './snapshot-progress';

export const REQUESTS_TABLE = 'capture_snapshot_requests';
const REQUESTS = `${BOOKKEEPING_SCHEMA}.${REQUESTS_TABLE}`;

export type RequestState = 'pending' | 'running' | 'done' | 'failed';

/** A snapshot asked for by `paysync snapshot`, as kept in the source (schema `paysync`). */
export interface SnapshotRequest {
  id: string;
  slot: string;
  table: string;
  /** SQL condition on the table's rows; null: every row. */
  predicate: string | null;
  state: RequestState;
  /** Primary-key values (PostgreSQL text) of the last row of the last chunk Kafka acknowledged. */
  lastKey: string[] | null;
  rowsSent: number;
  error: string | null;
  requestedAt: string;
  finishedAt: string | null;
}

const REQUEST_COLUMNS_DDL = `id uuid PRIMARY KEY,
  slot_name text NOT NULL,
  table_name text NOT NULL,
  predicate text,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
  last_key text[],
  rows_sent bigint NOT NULL DEFAULT 0,
  error text,
  claimed_by uuid,
  requested_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz`;

const COLUMNS = `id::text, slot_name, table_name, predicate, state, last_key, rows_sent, error, requested_at, finished_at`;

type RequestRow = Record<'id' | 'slot_name' | 'table_name' | 'state' | 'rows_sent' | 'requested_at', string> & Record<'predicate' | 'last_key' | 'error' | 'finished_at', string | null>;

function fromRow(r: RequestRow): SnapshotRequest {
  return {
    id: r.id,
    slot: r.slot_name,
    table: r.table_name,
    predicate: r.predicate,
    state: r.state as RequestState,
    lastKey: r.last_key === null ? null : parseTextArray(r.last_key),
    rowsSent: Number(r.rows_sent),
    error: r.error,
    requestedAt: r.requested_at,
    finishedAt: r.finished_at,
  };
}

/**
 * The snapshot requests of one slot. The row is the request (durable, resumable: capture saves
 * its position after each chunk Kafka acknowledged); the WAL message written with it only tells
 * the streaming capture that there is one. `claimedBy` names the streaming term serving it, so a
 * term that was torn down cannot save over the progress of the one that took the request over.
 */
export class SnapshotRequests {
  constructor(
    private readonly db: Queryable,
    private readonly slot: string,
  ) {}

  async ensureTable(): Promise<void> {
    await ensureBookkeepingTable(this.db, REQUESTS_TABLE, REQUEST_COLUMNS_DDL);
  }

  /**
   * Writes a request and the WAL message naming it in one statement, hence one transaction: capture
   * sees the message only if the row is committed, and a row whose message was lost to a capture
   * crash is still found when capture streams again.
   */
  async add(table: string, predicate: string | null): Promise<string> {
    const id = randomUUID();
    await this.db.query(
      `WITH request AS (INSERT INTO ${REQUESTS} (id, slot_name, table_name, predicate) VALUES ($1, $2, $3, $4) RETURNING id)
       SELECT pg_logical_emit_message(true, $5, id::text) FROM request`,
      [id, this.slot, table, predicate, SNAPSHOT_REQUEST_PREFIX],
    );
    return id;
  }

  async get(id: string): Promise<SnapshotRequest | undefined> {
    const { rows } = await this.db.query<RequestRow>(`SELECT ${COLUMNS} FROM ${REQUESTS} WHERE id = $1 AND slot_name = $2`, [id, this.slot]);
    return rows.map(fromRow)[0];
  }

  /** Requests not finished yet, oldest first: what a capture that starts streaming takes up. */
  async unfinished(): Promise<SnapshotRequest[]> {
    const { rows } = await this.db.query<RequestRow>(
      `SELECT ${COLUMNS} FROM ${REQUESTS} WHERE slot_name = $1 AND state IN ('pending', 'running') ORDER BY requested_at, id`,
      [this.slot],
    );
    return rows.map(fromRow);
  }

  /** Marks the request running for `claimant` and returns it; undefined if it is not this slot's, is finished, or is gone. */
  async claim(id: string, claimant: string): Promise<SnapshotRequest | undefined> {
    const { rows } = await this.db.query<RequestRow>(
      `UPDATE ${REQUESTS} SET state = 'running', claimed_by = $3, updated_at = now()
        WHERE id = $1 AND slot_name = $2 AND state IN ('pending', 'running')
        RETURNING ${COLUMNS}`,
      [id, this.slot, claimant],
    );
    return rows.map(fromRow)[0];
  }

  /** Saves the position after an acknowledged chunk; false when another claimant has the request now. */
  async saveProgress(id: string, claimant: string, lastKey: string[] | null, rowsSent: number, done: boolean): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE ${REQUESTS}
          SET last_key = $3, rows_sent = $4, state = CASE WHEN $5 THEN 'done' ELSE state END,
              finished_at = CASE WHEN $5 THEN now() END, updated_at = now()
        WHERE id = $1 AND claimed_by = $2 AND state = 'running'`,
      [id, claimant, lastKey, rowsSent, done],
    );
    return rowCount === 1;
  }

  async fail(id: string, claimant: string, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE ${REQUESTS} SET state = 'failed', error = $3, finished_at = now(), updated_at = now() WHERE id = $1 AND claimed_by = $2 AND state = 'running'`,
      [id, claimant, reason],
    );
  }
}

/**
 * For `paysync status`: every unfinished request of every slot (or of one) and the newest
 * `finished` finished ones, newest first; none when no request was ever written.
 */
export async function recentSnapshotRequests(db: Queryable, slot: string | undefined, finished: number): Promise<SnapshotRequest[]> {
  const { rows: found } = await db.query<{ readable: string | null }>(`SELECT has_table_privilege(to_regclass($1), 'SELECT') AS readable`, [REQUESTS]);
  if (found[0]?.readable !== 't') return [];
  const { rows } = await db.query<RequestRow>(
    `SELECT ${COLUMNS} FROM ${REQUESTS}
      WHERE ($1::text IS NULL OR slot_name = $1)
        AND (state IN ('pending', 'running')
             OR id IN (SELECT id FROM ${REQUESTS} WHERE ($1::text IS NULL OR slot_name = $1) AND state IN ('done', 'failed') ORDER BY requested_at DESC LIMIT $2))
      ORDER BY requested_at DESC, id`,
    [slot ?? null, finished],
  );
  return rows.map(fromRow);
}
