import type { Dependency } from '@paysync/config';
import { checkMysqlAccess, createMysqlPool, databaseOf, mysqlDependency, quoteMysqlIdent as q, type MysqlPool } from '@paysync/mysql';
import type { SourceTable } from '../../changes/row-change';
import { MissingPrivilegeError, type PrivilegeProblem } from '../missing-privileges';
import type { ResolvedTable, StoredOffset, Target, TargetName, TargetOptions, TargetTransaction } from '../target';
import { BOOKKEEPING_TABLES, createMissingBookkeeping, OFFSETS, VERSIONS } from './mysql-bookkeeping';
import { addDeleteMarkerAge, purgeDeleteMarkers } from './mysql-delete-markers';
import { isTransientMysqlError, mysqlPrivilegeProblem } from './mysql-errors';
import { currentAccount, missingMysqlPrivileges } from './mysql-privileges';
import { MysqlTransaction } from './mysql-transaction';
import { mysqlTypeOf } from './mysql-types';

/** A MariaDB/MySQL target: tables in the URL's database under their bare name by default. */
export class MysqlTarget implements Target {
  readonly kind = 'mysql' as const;
  readonly dependency: Dependency;
  private readonly pool: MysqlPool;
  private readonly database: string;
  /** 'user'@'host' for the GRANTs a refusal asks for: the URL's user until the target names the account. */
  private account: string;

  constructor(
    private readonly url: string,
    private readonly options: TargetOptions,
  ) {
    this.pool = createMysqlPool(url, { max: 4, setting: 'PAYSYNC_TARGET_URL' });
    this.dependency = mysqlDependency(url, 'PAYSYNC_TARGET_URL');
    this.database = databaseOf(url);
    this.account = `'${decodeURIComponent(new URL(url).username).replace(/'/g, "''")}'@'%'`;
  }

  async prepare(tables: TargetName[]): Promise<void> {
    await checkMysqlAccess(this.pool, this.url, 'PAYSYNC_TARGET_URL');
    const problems = await this.missingPrivileges(tables);
    if (problems.length > 0) throw new MissingPrivilegeError(problems);
    await createMissingBookkeeping(this.pool, this.database);
    // ALTER cannot be probed: a refusal says which GRANT it takes.
    await addDeleteMarkerAge(this.pool, this.database).catch((err: unknown) => {
      const problem = this.privilegeProblem(err);
      throw problem ? new MissingPrivilegeError([problem]) : err;
    });
  }

  async missingPrivileges(tables: TargetName[]): Promise<PrivilegeProblem[]> {
    this.account = await currentAccount(this.pool);
    // Offsets and versions are read and written, expired delete markers deleted. Rows are upserted and deleted by key.
    const bookkeeping = ['SELECT', 'INSERT', 'UPDATE'] as const;
    const purged = (table: string) => this.options.purgesDeleteMarkers && table === VERSIONS;
    return missingMysqlPrivileges(this.pool, this.database, this.account, [
      ...BOOKKEEPING_TABLES.map((table) => ({ table, privileges: purged(table) ? [...bookkeeping, 'DELETE' as const] : bookkeeping })),
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

  purgeDeleteMarkers(olderThanMs: number, limit: number): Promise<number> {
    return purgeDeleteMarkers(this.pool, olderThanMs, limit);
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
