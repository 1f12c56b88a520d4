import type { Dependency } from '@paysync/config';
import { checkPostgresAccess, createPool, inTransaction, postgresDependency, runStatement, StatementNames, type Pool, type PoolClient, type Statement } from '@paysync/postgres';
import type { RowChange, SourceTable, Version } from '../../changes/row-change';
import type { ConflictPolicy } from '../../conflicts/conflict';
import { MissingPrivilegeError, type PrivilegeProblem } from '../missing-privileges';
import type { ApplyResult, ResolvedTable, StoredOffset, Target, TargetName, TargetOptions, TargetTransaction } from '../target';
import { addDeleteMarkerAge, deleteMarkerAgeProblem, purgeDeleteMarkers } from './postgres-delete-markers';
import { writeRowsChecked } from './postgres-conflicts';
import { isTransientPostgresError, postgresPrivilegeProblem } from './postgres-errors';
import { missingOriginPrivileges, OriginUnavailableError, takeApplyOrigin } from './postgres-origins';
import { missingPostgresPrivileges } from './postgres-privileges';
import { targetOf, truncateRows, writeNewKeys, writeRows } from './postgres-row-writer';
import { addMissingColumns, BOOKKEEPING, BOOKKEEPING_SCHEMA, createTable, DDL_LOCK, DDL_LOCK_TIMEOUT, existsInCatalog, OFFSETS, readTargetColumns } from './postgres-tables';
import { TableStatements } from './table-statements';

/** Rows are upserted and deleted by key; of paysync's own tables, only expired delete markers are deleted. */
const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];
const BOOKKEEPING_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE'];
const PURGED_BOOKKEEPING_PRIVILEGES = [...BOOKKEEPING_PRIVILEGES, 'DELETE'];
const UNIQUE_VIOLATION = '23505';
// The no-op update takes the row lock whether the row is new or not, and returns what is stored.
const LOCK_OFFSET = `INSERT INTO ${OFFSETS} AS o (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = o.next_offset
       RETURNING next_offset`;
const SAVE_OFFSET = `UPDATE ${OFFSETS} SET next_offset = $4, updated_at = now() WHERE group_id = $1 AND topic = $2 AND partition = $3`;

interface OffsetStatements {
  lock: Statement;
  save: Statement;
}

/** A PostgreSQL target: the source's schema.table by default, paysync's own tables in schema paysync. */
export class PostgresTarget implements Target {
  readonly kind = 'postgres' as const;
  readonly dependency: Dependency;
  private readonly pool: Pool;
  private readonly names: StatementNames;
  private readonly statements = new WeakMap<ResolvedTable, TableStatements>();
  /** The offsets table's statements, the same for every batch. */
  private readonly offsetStatements: OffsetStatements;
  /** Pooled connections already marked with a replication origin of the group (bidirectional). */
  private readonly tagged = new WeakSet<PoolClient>();
  /**
   * Tables that held no row and no version when resolved (a replica being built), until a batch
   * meets a key already there: their batches are tried as plain INSERTs first (writeNewKeys).
   */
  private readonly newKeysOnly = new WeakSet<ResolvedTable>();

  constructor(
    private readonly url: string,
    applicationName: string,
    private readonly options: TargetOptions,
  ) {
    this.pool = createPool(url, { applicationName, max: 4, setting: 'PAYSYNC_TARGET_URL' });
    this.dependency = postgresDependency(url, 'PAYSYNC_TARGET_URL');
    this.names = new StatementNames(options.preparedStatements ?? true);
    this.offsetStatements = { lock: this.names.statement(LOCK_OFFSET), save: this.names.statement(SAVE_OFFSET) };
  }

  async prepare(tables: TargetName[]): Promise<void> {
    await checkPostgresAccess(this.pool, this.url, 'PAYSYNC_TARGET_URL');
    const problems = await this.missingPrivileges(tables);
    if (problems.length > 0) throw new MissingPrivilegeError(problems);
    await inTransaction(this.pool, async (db) => {
      await db.query(DDL_LOCK);
      if (!(await existsInCatalog(db, BOOKKEEPING_SCHEMA))) await db.query(`CREATE SCHEMA IF NOT EXISTS ${BOOKKEEPING_SCHEMA}`);
      for (const { name, ddl } of BOOKKEEPING) if (!(await existsInCatalog(db, BOOKKEEPING_SCHEMA, name.table))) await db.query(ddl);
      await addDeleteMarkerAge(db);
    });
  }

  async missingPrivileges(tables: TargetName[]): Promise<PrivilegeProblem[]> {
    const purged = (name: TargetName) => this.options.purgesDeleteMarkers && name.table === 'row_versions';
    const problems = await missingPostgresPrivileges(this.pool, [
      ...BOOKKEEPING.map((b) => ({ name: b.name, privileges: purged(b.name) ? PURGED_BOOKKEEPING_PRIVILEGES : BOOKKEEPING_PRIVILEGES })),
      ...tables.map((name) => ({ name, privileges: TABLE_PRIVILEGES })),
    ]);
    const markers = await deleteMarkerAgeProblem(this.pool);
    const origins = this.options.bidirectional ? await missingOriginPrivileges(this.pool) : [];
    return [...problems, ...(markers ? [markers] : []), ...origins];
  }

  async resolve(source: SourceTable, name: TargetName): Promise<ResolvedTable> {
    const label = `${name.schema}.${name.table}`;
    const columns = await inTransaction(this.pool, async (db) => {
      await db.query(DDL_LOCK);
      await db.query(DDL_LOCK_TIMEOUT);
      const existing = await readTargetColumns(db, name);
      if (!existing) await createTable(db, source, name);
      else if ((await addMissingColumns(db, source, name, existing.types)).length === 0) return existing;
      const created = await readTargetColumns(db, name);
      if (!created) throw new Error(`target table ${label} was not created`);
      return created;
    });
    if (columns.primaryKey.length === 0) throw new Error(`target table ${label} has no primary key: apply needs one to upsert by key`);
    const table = { source, name, label, primaryKey: columns.primaryKey, columnTypes: columns.types };
    // A bidirectional target's own users write it too: every batch is checked and upserted.
    if (!this.options.bidirectional && (await this.isEmpty(table))) this.newKeysOnly.add(table);
    return table;
  }

  /** Neither rows nor versions (delete markers included) of the table. */
  private async isEmpty(table: ResolvedTable): Promise<boolean> {
    const { rows } = await this.pool.query<{ empty: string }>(
      `SELECT NOT EXISTS (SELECT 1 FROM ${targetOf(table)})
          AND NOT EXISTS (SELECT 1 FROM paysync.row_versions WHERE target_table = $1) AS empty`,
      [table.label],
    );
    return rows[0].empty === 't'; // the pool hands every value over as PostgreSQL's text
  }

  async begin(): Promise<TargetTransaction> {
    const client = await this.pool.connect();
    const bidirectional = this.options.bidirectional;
    try {
      if (bidirectional && !this.tagged.has(client)) {
        await takeApplyOrigin(client, bidirectional.groupId);
        this.tagged.add(client);
      }
      await client.query('BEGIN');
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    return new PostgresTransaction(client, (table) => this.statementsOf(table), this.offsetStatements, this.newKeysOnly, bidirectional?.policy);
  }

  async storedOffsets(groupId: string): Promise<StoredOffset[]> {
    const { rows } = await this.pool.query<{ topic: string; partition: string; next_offset: string }>(
      `SELECT topic, partition, next_offset FROM ${OFFSETS} WHERE group_id = $1`,
      [groupId],
    );
    return rows.map((r) => ({ topic: r.topic, partition: Number(r.partition), nextOffset: BigInt(r.next_offset) }));
  }

  purgeDeleteMarkers(olderThanMs: number, limit: number): Promise<number> {
    return purgeDeleteMarkers(this.pool, olderThanMs, limit);
  }

  isTransient(err: unknown): boolean {
    return isTransientPostgresError(err);
  }

  privilegeProblem(err: unknown): PrivilegeProblem | undefined {
    if (err instanceof OriginUnavailableError) return { problem: err.message, fix: err.fix };
    return postgresPrivilegeProblem(err, decodeURIComponent(new URL(this.url).username));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private statementsOf(table: ResolvedTable): TableStatements {
    let statements = this.statements.get(table);
    if (!statements) {
      statements = new TableStatements(this.names);
      this.statements.set(table, statements);
    }
    return statements;
  }
}

class PostgresTransaction implements TargetTransaction {
  private done = false;

  constructor(
    private readonly client: PoolClient,
    private readonly statementsOf: (table: ResolvedTable) => TableStatements,
    private readonly offsets: OffsetStatements,
    private readonly newKeysOnly: WeakSet<ResolvedTable>,
    /** Set on a bidirectional target: changes are checked for conflicts first. */
    private readonly conflictPolicy?: ConflictPolicy,
  ) {}

  async lockOffset(groupId: string, topic: string, partition: number): Promise<bigint> {
    const { rows } = await runStatement<{ next_offset: string }>(this.client, this.offsets.lock, [groupId, topic, partition]);
    return BigInt(rows[0].next_offset);
  }

  async saveOffset(groupId: string, topic: string, partition: number, nextOffset: bigint): Promise<void> {
    await runStatement(this.client, this.offsets.save, [groupId, topic, partition, nextOffset.toString()]);
  }

  async applyRows(table: ResolvedTable, changes: RowChange[]): Promise<ApplyResult> {
    if (this.conflictPolicy) return writeRowsChecked(this.client, table, changes, this.statementsOf(table), this.conflictPolicy);
    if (this.newKeysOnly.has(table)) {
      await this.client.query('SAVEPOINT paysync_new_keys');
      try {
        const result = await writeNewKeys(this.client, table, changes, this.statementsOf(table));
        await this.client.query('RELEASE SAVEPOINT paysync_new_keys');
        return result;
      } catch (err) {
        if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
        // A key the table holds now: from here on, every batch of it goes through the version guard.
        await this.client.query('ROLLBACK TO SAVEPOINT paysync_new_keys');
        this.newKeysOnly.delete(table);
      }
    }
    return writeRows(this.client, table, changes, this.statementsOf(table));
  }

  truncate(table: ResolvedTable, version: Version): Promise<void> {
    return truncateRows(this.client, table, version);
  }

  async savepoint(): Promise<void> {
    await this.client.query('SAVEPOINT paysync_change');
  }

  async rollbackToSavepoint(): Promise<void> {
    await this.client.query('ROLLBACK TO SAVEPOINT paysync_change');
  }

  async releaseSavepoint(): Promise<void> {
    await this.client.query('RELEASE SAVEPOINT paysync_change');
  }

  async commit(): Promise<void> {
    await this.finish('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.finish('ROLLBACK').catch(() => undefined);
  }

  private async finish(sql: string): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      await this.client.query(sql);
      this.client.release();
    } catch (err) {
      // A connection that failed mid-transaction is destroyed, never handed to the next batch.
      this.client.release(err as Error);
      throw err;
    }
  }
}
