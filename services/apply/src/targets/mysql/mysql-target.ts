import { createHash } from 'node:crypto';
import { codecFor, type Row } from '@paysync/contract';
import { checkMysqlAccess, createMysqlPool, databaseOf, quoteMysqlIdent as q, type MysqlConnection, type MysqlPool } from '@paysync/mysql';
import type { RowChange, SourceTable, Version } from '../../changes/row-change';
import { isNewer } from '../../changes/row-change';
import { MissingPrivilegeError, type PrivilegeProblem } from '../missing-privileges';
import type { ApplyResult, ResolvedTable, StoredOffset, Target, TargetName, TargetTransaction } from '../target';
import { BOOKKEEPING_TABLES, createMissingBookkeeping, OFFSETS, VERSIONS } from './mysql-bookkeeping';
import { isTransientMysqlError, mysqlPrivilegeProblem } from './mysql-errors';
import { currentAccount, missingMysqlPrivileges } from './mysql-privileges';
import { mysqlTypeOf, toMysqlValue } from './mysql-types';

function keyHash(table: string, rowKey: string): Buffer {
  return createHash('sha256').update(table).update('\n').update(rowKey).digest();
}

/** A MariaDB/MySQL target: tables in the URL's database under their bare name by default. */
export class MysqlTarget implements Target {
  readonly kind = 'mysql' as const;
  private readonly pool: MysqlPool;
  private readonly database: string;
  /** 'user'@'host' for the GRANTs a refusal asks for: the URL's user until the target names the account. */
  private account: string;

  constructor(private readonly url: string) {
    this.pool = createMysqlPool(url, { max: 4, setting: 'PAYSYNC_TARGET_URL' });
    this.database = databaseOf(url);
    this.account = `'${decodeURIComponent(new URL(url).username).replace(/'/g, "''")}'@'%'`;
  }

  async prepare(tables: TargetName[]): Promise<void> {
    await checkMysqlAccess(this.pool, this.url, 'PAYSYNC_TARGET_URL');
    const problems = await this.missingPrivileges(tables);
    if (problems.length > 0) throw new MissingPrivilegeError(problems);
    await createMissingBookkeeping(this.pool, this.database);
  }

  async missingPrivileges(tables: TargetName[]): Promise<PrivilegeProblem[]> {
    this.account = await currentAccount(this.pool);
    return missingMysqlPrivileges(this.pool, this.database, this.account, [
      // Versions are read, written and kept; offsets likewise. Rows are upserted and deleted by key.
      ...BOOKKEEPING_TABLES.map((table) => ({ table, privileges: ['SELECT', 'INSERT', 'UPDATE'] as const })),
      ...tables.map((name) => ({ table: name.table, privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const })),
    ]);
  }


  async resolve(source: SourceTable, name: TargetName): Promise<ResolvedTable> {
    let columns = await this.readColumns(name.table);
    if (columns.types.size === 0) {
      if (source.primaryKey.length === 0) throw new Error(`cannot create ${name.table}: the source table's key is not known yet`);
      const defs = source.columns.map((c) => {
        const inKey = source.primaryKey.includes(c.name);
        return `${q(c.name)} ${mysqlTypeOf(c, inKey)}${inKey ? ' NOT NULL' : ' NULL'}`;
      });
      await this.ddl(`CREATE TABLE IF NOT EXISTS ${q(name.table)} (${defs.join(', ')}, PRIMARY KEY (${source.primaryKey.map(q).join(', ')})) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    } else {
      for (const c of source.columns) {
        if (!columns.types.has(c.name)) await this.ddl(`ALTER TABLE ${q(name.table)} ADD COLUMN IF NOT EXISTS ${q(c.name)} ${mysqlTypeOf(c, false)} NULL`);
      }
    }
    columns = await this.readColumns(name.table);
    if (columns.primaryKey.length === 0) throw new Error(`target table ${name.table} has no primary key: apply needs one to upsert by key`);
    return { source, name, label: name.table, primaryKey: columns.primaryKey, columnTypes: columns.types };
  }

  /**
   * DDL with a bounded wait for the table's metadata lock: apply's own open target transaction may
   * hold it (see postgres-tables DDL_LOCK_TIMEOUT); the timeout (1205) is transient, so that
   * transaction is rolled back and redone after the DDL.
   */
  private async ddl(statement: string): Promise<void> {
    const connection = await this.pool.getConnection();
    try {
      await connection.query('SET SESSION lock_wait_timeout = 5');
      await connection.query(statement);
    } finally {
      await connection.query('SET SESSION lock_wait_timeout = DEFAULT').catch(() => undefined);
      connection.release();
    }
  }

  private async readColumns(table: string): Promise<{ types: Map<string, string>; primaryKey: string[] }> {
    const [rows] = await this.pool.query(
      `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, COLUMN_KEY AS colkey FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [this.database, table],
    );
    const [keys] = await this.pool.query(
      `SELECT COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`,
      [this.database, table],
    );
    return {
      types: new Map((rows as { name: string; type: string }[]).map((r) => [r.name, r.type])),
      primaryKey: (keys as { name: string }[]).map((r) => r.name),
    };
  }

  async begin(): Promise<TargetTransaction> {
    const connection = await this.pool.getConnection();
    try {
      // READ COMMITTED: no gap locks, so concurrent partitions inserting new keys do not deadlock.
      await connection.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await connection.query('START TRANSACTION');
    } catch (err) {
      connection.destroy();
      throw err;
    }
    return new MysqlTransaction(connection);
  }

  async storedOffsets(groupId: string): Promise<StoredOffset[]> {
    const [rows] = await this.pool.query(`SELECT topic, kafka_partition AS kafkaPartition, next_offset AS nextOffset FROM ${OFFSETS} WHERE group_id = ?`, [groupId]);
    return (rows as { topic: string; kafkaPartition: number; nextOffset: string }[]).map((r) => ({ topic: r.topic, partition: Number(r.kafkaPartition), nextOffset: BigInt(r.nextOffset) }));
  }

  isTransient(err: unknown): boolean {
    return isTransientMysqlError(err);
  }

  privilegeProblem(err: unknown): PrivilegeProblem | undefined {
    return mysqlPrivilegeProblem(err, this.account, this.database);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Each key as the tuple of its primary-key values, in the target's key order. */
function keyTuples(table: ResolvedTable, keys: Row[]): unknown[][] {
  const { source } = table;
  const keyColumns = table.primaryKey.map((name) => {
    const index = source.columns.findIndex((c) => c.name === name);
    if (index < 0) throw new Error(`key column ${name} of ${table.label} is not in the source's records`);
    return { column: source.columns[index], field: source.fields[index] };
  });
  return keys.map((key) => keyColumns.map(({ column, field }) => toMysqlValue(column, key[field] ?? null)));
}

class MysqlTransaction implements TargetTransaction {
  private done = false;

  constructor(private readonly db: MysqlConnection) {}

  async lockOffset(groupId: string, topic: string, partition: number): Promise<bigint> {
    await this.db.query(`INSERT INTO ${OFFSETS} (group_id, topic, kafka_partition, next_offset) VALUES (?, ?, ?, 0) ON DUPLICATE KEY UPDATE next_offset = next_offset`, [groupId, topic, partition]);
    const [rows] = await this.db.query(`SELECT next_offset AS nextOffset FROM ${OFFSETS} WHERE group_id = ? AND topic = ? AND kafka_partition = ? FOR UPDATE`, [groupId, topic, partition]);
    return BigInt((rows as { nextOffset: string }[])[0].nextOffset);
  }

  async saveOffset(groupId: string, topic: string, partition: number, nextOffset: bigint): Promise<void> {
    await this.db.query(`UPDATE ${OFFSETS} SET next_offset = ?, updated_at = CURRENT_TIMESTAMP(6) WHERE group_id = ? AND topic = ? AND kafka_partition = ?`, [nextOffset.toString(), groupId, topic, partition]);
  }

  /** The version guard in four statements: read (locked) versions, write the newer ones, upsert, delete. */
  async applyRows(table: ResolvedTable, changes: RowChange[]): Promise<ApplyResult> {
    const stored = await this.lockVersions(table.label, changes);
    const winners = changes.filter((c) => {
      const known = stored.get(c.rowKey);
      return !known || isNewer(c.version, known);
    });
    if (winners.length === 0) return { applied: 0, stale: changes.length };
    await this.db.query(
      `INSERT INTO ${VERSIONS} (key_hash, target_table, row_key, lsn, seq, deleted) VALUES ?
       ON DUPLICATE KEY UPDATE lsn = VALUES(lsn), seq = VALUES(seq), deleted = VALUES(deleted)`,
      [winners.map((c) => [keyHash(table.label, c.rowKey), table.label, c.rowKey, c.version.lsn.toString(), c.version.seq.toString(), c.row === null])],
    );
    const upserts = winners.filter((c) => c.row !== null);
    const groups = new Map<string, RowChange[]>();
    for (const change of upserts) {
      const id = [...change.unchanged].sort().join(',');
      groups.set(id, [...(groups.get(id) ?? []), change]);
    }
    for (const group of groups.values()) await this.upsert(table, group);
    const deletes = winners.filter((c) => c.row === null);
    if (deletes.length > 0) await this.deleteKeys(table, deletes.map((c) => c.key));
    return { applied: winners.length, stale: changes.length - winners.length };
  }

  private async lockVersions(label: string, changes: RowChange[]): Promise<Map<string, Version>> {
    const [rows] = await this.db.query(`SELECT row_key AS rowKey, lsn, seq FROM ${VERSIONS} WHERE key_hash IN (?) FOR UPDATE`, [changes.map((c) => keyHash(label, c.rowKey))]);
    return new Map(
      (rows as { rowKey: string; lsn: string; seq: string }[]).map((r) => [r.rowKey, { lsn: BigInt(r.lsn), seq: BigInt(r.seq) }]),
    );
  }

  private async upsert(table: ResolvedTable, changes: RowChange[]): Promise<void> {
    const { source } = table;
    const unchanged = new Set(changes[0].unchanged);
    const columns = source.columns.map((column, i) => ({ column, field: source.fields[i] }));
    const updatable = columns.filter((c) => !table.primaryKey.includes(c.column.name) && !unchanged.has(c.field));
    const values = changes.map((change) => columns.map(({ column, field }) => toMysqlValue(column, (change.row as Row)[field] ?? null)));
    const update = updatable.length > 0 ? updatable.map((c) => `${q(c.column.name)} = VALUES(${q(c.column.name)})`).join(', ') : `${q(table.primaryKey[0])} = ${q(table.primaryKey[0])}`;
    await this.db.query(`INSERT INTO ${q(table.name.table)} (${columns.map((c) => q(c.column.name)).join(', ')}) VALUES ? ON DUPLICATE KEY UPDATE ${update}`, [values]);
    // ON DUPLICATE KEY UPDATE fires on a clash with any unique index, not only the primary key: a
    // new row whose value another row holds in a target-only unique index would silently overwrite
    // that row instead of failing. Then its own key is missing: refuse the batch (one by one, the
    // row is dead-lettered and its savepoint undoes the overwrite).
    const [rows] = await this.db.query(`SELECT count(*) AS n FROM ${q(table.name.table)} WHERE ${this.keysIn(table)}`, [keyTuples(table, changes.map((c) => c.key))]);
    const missing = changes.length - Number((rows as { n: string | number }[])[0].n);
    if (missing > 0) throw new Error(`${missing} row(s) clash with another row of ${table.label} in a unique index other than the primary key`);
  }

  private keysIn(table: ResolvedTable): string {
    return `(${table.primaryKey.map(q).join(', ')}) IN (?)`;
  }

  private async deleteKeys(table: ResolvedTable, keys: Row[]): Promise<void> {
    await this.db.query(`DELETE FROM ${q(table.name.table)} WHERE ${this.keysIn(table)}`, [keyTuples(table, keys)]);
  }

  async truncate(table: ResolvedTable, version: Version): Promise<void> {
    const [rows] = await this.db.query(
      `SELECT row_key AS rowKey FROM ${VERSIONS} WHERE target_table = ? AND NOT deleted AND (lsn < ? OR (lsn = ? AND seq < ?)) FOR UPDATE`,
      [table.label, version.lsn.toString(), version.lsn.toString(), version.seq.toString()],
    );
    const rowKeys = (rows as { rowKey: string }[]).map((r) => r.rowKey);
    if (rowKeys.length === 0) return;
    const { source } = table;
    const keyColumns = table.primaryKey.map((name) => source.columns.find((c) => c.name === name)!);
    for (let i = 0; i < rowKeys.length; i += 1000) {
      const chunk = rowKeys.slice(i, i + 1000);
      const tuples = chunk.map((rowKey) => (JSON.parse(rowKey) as string[]).map((text, k) => toMysqlValue(keyColumns[k], codecFor(keyColumns[k]).fromPgText(text))));
      await this.db.query(`DELETE FROM ${q(table.name.table)} WHERE (${table.primaryKey.map(q).join(', ')}) IN (?)`, [tuples]);
      await this.db.query(`UPDATE ${VERSIONS} SET lsn = ?, seq = ?, deleted = TRUE WHERE key_hash IN (?)`, [version.lsn.toString(), version.seq.toString(), chunk.map((k) => keyHash(table.label, k))]);
    }
  }

  async savepoint(): Promise<void> {
    await this.db.query('SAVEPOINT paysync_change');
  }

  async rollbackToSavepoint(): Promise<void> {
    await this.db.query('ROLLBACK TO SAVEPOINT paysync_change');
  }

  async releaseSavepoint(): Promise<void> {
    await this.db.query('RELEASE SAVEPOINT paysync_change');
  }

  async commit(): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      await this.db.query('COMMIT');
      this.db.release();
    } catch (err) {
      this.db.destroy();
      throw err;
    }
  }

  async rollback(): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      await this.db.query('ROLLBACK');
      this.db.release();
    } catch {
      this.db.destroy();
    }
  }
}
