import { SettingError } from '@paysync/config';
import { targetKindOf } from '@paysync/contract';
import { createMysqlPool, databaseOf, quoteMysqlIdent } from '@paysync/mysql';
import { createPool, quoteIdent } from '@paysync/postgres';

const SETTING = 'PAYSYNC_TARGET_URL';

/**
 * The database a drill rebuilds into. It must hold no table when the drill starts: the drill
 * proves what the topics alone rebuild, and a row left from before would hide one they lack (and a
 * live target given by mistake is never written). With PAYSYNC_DRILL_CREATE_DATABASE the drill
 * creates it (it must not exist yet) and drops it at the end.
 */
export interface ScratchDatabase {
  /** Creates it when asked, then checks it is empty; a SettingError names what is wrong. */
  prepare(): Promise<void>;
  /** Drops it if this drill created it. */
  release(): Promise<void>;
}

interface Server {
  exists(): Promise<boolean>;
  create(): Promise<void>;
  drop(): Promise<void>;
  tables(): Promise<string[]>;
}

export function scratchDatabase(url: string, create: boolean): ScratchDatabase {
  const server = targetKindOf(url) === 'mysql' ? mysqlServer(url) : postgresServer(url);
  const name = databaseOf(url);
  let created = false;
  return {
    async prepare() {
      if (create) {
        if (await server.exists()) throw new SettingError([SETTING, 'PAYSYNC_DRILL_CREATE_DATABASE'], `database ${name} exists already`, 'Name a database that does not exist (the drill creates and drops it), or set PAYSYNC_DRILL_CREATE_DATABASE=false to rebuild into an existing empty one.');
        await server.create();
        created = true;
      }
      const tables = await server.tables();
      if (tables.length > 0) {
        throw new SettingError([SETTING], `database ${name} is not empty (${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''})`, 'A drill rebuilds into an empty scratch database: give an empty one, or let the drill create its own with PAYSYNC_DRILL_CREATE_DATABASE=true.');
      }
    },
    async release() {
      if (created) await server.drop();
      created = false;
    },
  };
}

/** The server's own database (postgres) holds the connection that creates and drops the scratch one. */
function postgresServer(url: string): Server {
  const name = databaseOf(url);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const onAdmin = async <T>(work: (pool: ReturnType<typeof createPool>) => Promise<T>): Promise<T> => {
    const pool = createPool(admin.toString(), { applicationName: 'paysync-drill', max: 1, setting: SETTING });
    try {
      return await work(pool);
    } finally {
      await pool.end();
    }
  };
  return {
    exists: () => onAdmin(async (pool) => (await pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1),
    create: () => onAdmin(async (pool) => void (await pool.query(`CREATE DATABASE ${quoteIdent(name)}`))),
    drop: () => onAdmin(async (pool) => void (await pool.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`))),
    async tables() {
      const pool = createPool(url, { applicationName: 'paysync-drill', max: 1, setting: SETTING });
      try {
        const { rows } = await pool.query<{ name: string }>(
          `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1`,
        );
        return rows.map((r) => r.name);
      } finally {
        await pool.end();
      }
    },
  };
}

function mysqlServer(url: string): Server {
  const name = databaseOf(url);
  const admin = new URL(url);
  admin.pathname = '/';
  const onAdmin = async <T>(work: (pool: ReturnType<typeof createMysqlPool>) => Promise<T>): Promise<T> => {
    const pool = createMysqlPool(admin.toString(), { max: 1, setting: SETTING });
    try {
      return await work(pool);
    } finally {
      await pool.end();
    }
  };
  return {
    exists: () => onAdmin(async (pool) => ((await pool.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]))[0] as unknown[]).length === 1),
    create: () => onAdmin(async (pool) => void (await pool.query(`CREATE DATABASE ${quoteMysqlIdent(name)} CHARACTER SET utf8mb4`))),
    drop: () => onAdmin(async (pool) => void (await pool.query(`DROP DATABASE IF EXISTS ${quoteMysqlIdent(name)}`))),
    tables: () =>
      onAdmin(async (pool) => {
        const [rows] = await pool.query("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1", [name]);
        return (rows as { name: string }[]).map((r) => r.name);
      }),
  };
}
