import type { Dependency } from '@paysync/config';
import type { HmacPads } from '@paysync/contract';
import { keyOrderExpression, keyParameter, keyTextExpressions, type Dialect } from './canonical-row';
import { bindHmacPads, hashedOnSource } from './hashed-columns';
import { digestSql, rowHashSql } from './row-hash';
import { keyId, type ComparedTable, type Key, type KeyRange, type RangeDigest, type ReconcileSide } from './side';

const INTEGER_TYPES = new Set(['int2', 'int4', 'int8']);

/** The SQL both dialects run; each dialect supplies how to query, quote and name things. */
export interface SqlRunner {
  dialect: Dialect;
  /** Fully qualified, quoted name of the compared table on this side. */
  tableName(table: ComparedTable): string;
  /** Runs a statement with `?`-style positional parameters; rows come back with string values. */
  query(sql: string, params: unknown[]): Promise<Record<string, unknown>[]>;
  /** Connects once; a URL the database refuses (password, certificate) throws a SettingError naming it, one that does not answer an UnreachableError. */
  checkAccess(): Promise<void>;
  /** Where the URL's setting says the database is, to name it when it does not answer. */
  dependency: Dependency;
  close(): Promise<void>;
}

/**
 * A ReconcileSide over SQL: range digests, boundaries and row hashes, written once for both
 * dialects (they differ only in the expressions of canonical-row.ts and in placeholders). The
 * source side, given the hash key's pads, reads each PAYSYNC_COLUMN_HASH column as its HMAC.
 */
export class SqlSide implements ReconcileSide {
  constructor(
    readonly runner: SqlRunner,
    private readonly hmacPads?: HmacPads,
  ) {}

  async digests(compared: ComparedTable, range: KeyRange, cuts: Key[]): Promise<RangeDigest[]> {
    const table = this.asRead(compared);
    const { row: hashed, sums } = digestSql(this.runner.dialect, table.rowHash, table.columns);
    const key = this.keyTuple(table);
    // The piece's parameters first: MariaDB's are positional, and the CASE comes before the WHERE.
    const params: unknown[] = [];
    const piece = cuts.length === 0 ? '0' : `CASE ${cuts.map((cut, i) => `WHEN ${key} < ${this.valueTuple(table, cut, params)} THEN ${i}`).join(' ')} ELSE ${cuts.length} END`;
    const { where } = this.rangePredicate(table, range, params);
    // OFFSET / LIMIT keep the planner from inlining the subquery into both sums, which would hash each row twice.
    const materialized = this.runner.dialect === 'postgres' ? 'OFFSET 0' : 'LIMIT 18446744073709551615';
    const [s1, s2] = sums.map((sum) => this.asText(`COALESCE(SUM(${sum}), 0)`));
    const rows = await this.run(
      `SELECT p, COUNT(*) AS n, ${s1} AS s1, ${s2} AS s2
         FROM (SELECT ${piece} AS p, ${hashed} AS h FROM ${this.runner.tableName(table)} WHERE ${where} ${materialized}) hashed
        GROUP BY p`,
      params,
    );
    // A piece without rows has no group: it digests as an empty range does on the other side.
    const digests: RangeDigest[] = Array.from({ length: cuts.length + 1 }, () => ({ count: 0, sum1: '0', sum2: '0' }));
    for (const row of rows) digests[Number(row.p)] = { count: Number(row.n), sum1: String(row.s1), sum2: String(row.s2) };
    return digests;
  }

  async boundaries(compared: ComparedTable, range: KeyRange, pieces: number): Promise<Key[]> {
    const table = this.asRead(compared);
    if (isIntegerKey(table)) return this.integerBoundaries(table, range, pieces);
    const { where, params } = this.rangePredicate(table, range);
    const [{ n }] = await this.run(`SELECT COUNT(*) AS n FROM ${this.runner.tableName(table)} WHERE ${where}`, params);
    const step = Math.ceil(Number(n) / pieces);
    if (step < 1 || Number(n) < 2) return [];
    const keys = keyTextExpressions(this.runner.dialect, table.keyColumns);
    const rows = await this.run(
      `SELECT ${keys.map((_, i) => `k${i}`).join(', ')} FROM (
         SELECT ${keys.map((k, i) => `${k} AS k${i}`).join(', ')}, ROW_NUMBER() OVER (ORDER BY ${this.keyOrder(table)}) AS rn
           FROM ${this.runner.tableName(table)} WHERE ${where}) numbered
        WHERE rn > 1 AND MOD(rn - 1, ${step}) = 0 ORDER BY rn`,
      params,
    );
    return rows.map((r) => keys.map((_, i) => String(r[`k${i}`])));
  }

  async spanBoundaries(compared: ComparedTable, range: KeyRange, pieces: number): Promise<Key[]> {
    const table = this.asRead(compared);
    return isIntegerKey(table) ? this.integerBoundaries(table, range, pieces) : [];
  }

  /**
   * An integer key's range cut at evenly spaced values between its min and max (data-diff's
   * checkpoints): two index lookups instead of numbering every row. Skewed keys make uneven pieces,
   * which the narrowing splits again.
   */
  private async integerBoundaries(table: ComparedTable, range: KeyRange, pieces: number): Promise<Key[]> {
    const { where, params } = this.rangePredicate(table, range);
    const k = keyOrderExpression(this.runner.dialect, table.keyColumns[0]);
    const [row] = await this.run(`SELECT ${this.asText(`MIN(${k})`)} AS lo, ${this.asText(`MAX(${k})`)} AS hi FROM ${this.runner.tableName(table)} WHERE ${where}`, params);
    if (row.lo === null || row.lo === undefined) return [];
    const lo = BigInt(String(row.lo));
    const span = BigInt(String(row.hi)) - lo + 1n;
    const cuts = new Set<bigint>();
    for (let i = 1n; i < BigInt(pieces); i++) {
      const cut = lo + (span * i) / BigInt(pieces);
      if (cut > lo) cuts.add(cut);
    }
    return [...cuts].map((cut) => [cut.toString()]);
  }

  async rowHashes(compared: ComparedTable, range: KeyRange): Promise<Map<string, string>> {
    const table = this.asRead(compared);
    const { where, params } = this.rangePredicate(table, range);
    return this.hashesWhere(table, where, params);
  }

  async rowHashesOf(compared: ComparedTable, keys: Key[]): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map();
    const table = this.asRead(compared);
    const params: unknown[] = [];
    const tuples = keys.map((key) => this.valueTuple(table, key, params));
    return this.hashesWhere(table, `${this.keyTuple(table)} IN (${tuples.join(', ')})`, params);
  }

  close(): Promise<void> {
    return this.runner.close();
  }

  private async hashesWhere(table: ComparedTable, where: string, params: unknown[]): Promise<Map<string, string>> {
    const keys = keyTextExpressions(this.runner.dialect, table.keyColumns);
    const rows = await this.run(
      `SELECT ${keys.map((k, i) => `${k} AS k${i}`).join(', ')}, ${rowHashSql(this.runner.dialect, table.rowHash, table.columns)} AS h
         FROM ${this.runner.tableName(table)} WHERE ${where}`,
      params,
    );
    return new Map(rows.map((r) => [keyId(keys.map((_, i) => String(r[`k${i}`]))), String(r.h)]));
  }

  private asRead(table: ComparedTable): ComparedTable {
    return this.hmacPads ? hashedOnSource(table) : table;
  }

  private run(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    const bound = this.hmacPads ? bindHmacPads(sql, params, this.hmacPads) : { sql, params };
    return this.runner.query(bound.sql, bound.params);
  }

  /** A number as exact text (a driver would parse a bigint sum into a double). */
  private asText(expression: string): string {
    return this.runner.dialect === 'postgres' ? `(${expression})::text` : `CAST(${expression} AS CHAR)`;
  }

  private placeholder(params: unknown[], value: string): string {
    params.push(value);
    return this.runner.dialect === 'postgres' ? `$${params.length}` : '?';
  }

  /** The key columns, in the key's byte/numeric order on both dialects: an ORDER BY list. */
  private keyOrder(table: ComparedTable): string {
    return table.keyColumns.map((c) => keyOrderExpression(this.runner.dialect, c)).join(', ');
  }

  /** The key columns as one row value, compared in the key's order. */
  private keyTuple(table: ComparedTable): string {
    return `(${this.keyOrder(table)})`;
  }

  /** A key's values as a row value cast like the key's columns, its parameters appended to `params`. */
  private valueTuple(table: ComparedTable, key: Key, params: unknown[]): string {
    return `(${table.keyColumns.map((c, i) => keyParameter(this.runner.dialect, c, this.placeholder(params, key[i]))).join(', ')})`;
  }

  /** lo <= key < hi as a row comparison, in the key's byte/numeric order on both dialects. */
  private rangePredicate(table: ComparedTable, range: KeyRange, params: unknown[] = []): { where: string; params: unknown[] } {
    const columns = this.keyTuple(table);
    const conditions: string[] = [];
    if (range.lo) conditions.push(`${columns} >= ${this.valueTuple(table, range.lo, params)}`);
    if (range.hi) conditions.push(`${columns} < ${this.valueTuple(table, range.hi, params)}`);
    return { where: conditions.length > 0 ? conditions.join(' AND ') : '1 = 1', params };
  }
}

const isIntegerKey = (table: ComparedTable): boolean => table.keyColumns.length === 1 && INTEGER_TYPES.has(table.keyColumns[0].typeName);
