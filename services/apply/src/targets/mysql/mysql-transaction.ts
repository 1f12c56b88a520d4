import { createHash } from 'node:crypto';
import { codecFor, type Row } from '@paysync/contract';
import { MYSQL_NOW, quoteMysqlIdent as q, type MysqlConnection } from '@paysync/mysql';
import type { RowChange, Version } from '../../changes/row-change';
import { byUnchangedColumns, isNewer } from '../../changes/row-change';
import type { ApplyResult, ResolvedTable, TargetTransaction } from '../target';
import { OFFSETS, VERSIONS } from './mysql-bookkeeping';
import { toMysqlValue } from './mysql-types';

function keyHash(table: string, rowKey: string): Buffer {
  return createHash('sha256').update(table).update('\n').update(rowKey).digest();
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

/** One batch's target transaction on MariaDB/MySQL: offsets, the version guard, rows. */
export class MysqlTransaction implements TargetTransaction {
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
      `INSERT INTO ${VERSIONS} (key_hash, target_table, row_key, lsn, seq, deleted, deleted_at) VALUES ?
       ON DUPLICATE KEY UPDATE lsn = VALUES(lsn), seq = VALUES(seq), deleted = VALUES(deleted), deleted_at = VALUES(deleted_at)`,
      [winners.map((c) => [keyHash(table.label, c.rowKey), table.label, c.rowKey, c.version.lsn.toString(), c.version.seq.toString(), c.row === null, c.row === null ? MYSQL_NOW : null])],
    );
    const upserts = winners.filter((c) => c.row !== null);
    for (const group of byUnchangedColumns(upserts).values()) await this.upsert(table, group);
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
      await this.db.query(`UPDATE ${VERSIONS} SET lsn = ?, seq = ?, deleted = TRUE, deleted_at = NOW(6) WHERE key_hash IN (?)`, [version.lsn.toString(), version.seq.toString(), chunk.map((k) => keyHash(table.label, k))]);
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
