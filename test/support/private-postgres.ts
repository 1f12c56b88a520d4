import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { sleep } from './wait';

/** The stack runs PostgreSQL 15 (scripts/stack): a private cluster is the same server unless asked for 16. */
const PG15_BIN = '/usr/lib/postgresql/15/bin';

/** PostgreSQL 16's server programs (scripts/stack/postgres16.sh fetches them once into the cache). */
export function postgres16Bin(): string {
  return execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'stack', 'postgres16.sh')], { encoding: 'utf8', timeout: 10 * 60_000 }).trim();
}
const USER = 'paysync';

/**
 * A PostgreSQL cluster of one test's own, for what a test must not do to the stack's server,
 * which every suite shares: crash it, restart it.
 */
export interface PrivatePostgres {
  readonly port: number;
  /** Where its data, socket and log live (removed by stop()). */
  readonly dir: string;
  /** URL of a database of this cluster as its superuser (over loopback TCP, password auth, no TLS). */
  url(database: string): string;
  /**
   * Ends the server the way a crash does (pg_ctl stop -m immediate: no shutdown checkpoint, every
   * connection cut), keeps it down `downMs`, then starts it again (crash recovery on start).
   */
  restartImmediate(downMs?: number): Promise<void>;
  /** Ends the server as a crash does (as restartImmediate) and leaves it down, until start(). */
  crash(): Promise<void>;
  /** Starts it again after crash(); resolves once it accepts connections. */
  start(): Promise<void>;
  /** The end of the server's log, for failure messages. */
  logTail(): string;
  /** Stops the server and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

/** PostgreSQL refuses to run as root: as root, its programs run as the postgres OS user. */
function asServerUser(program: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
}

function run(bin: string, program: string, args: string[]): Promise<string> {
  const [command, argv] = asServerUser(join(bin, program), args);
  return new Promise((resolve, reject) => {
    execFile(command, argv, { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${program} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

function serverSettings(port: number, socketDir: string): string {
  return `# written by test/support/private-postgres.ts
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '${socketDir}'
ssl = off
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
max_connections = 60
shared_buffers = 32MB
# Only the server process is ever crashed here, never the machine: the OS keeps what was written.
fsync = off
full_page_writes = off
synchronous_commit = on
timezone = 'UTC'
log_timezone = 'UTC'
`;
}

const ACCESS_RULES = `# written by test/support/private-postgres.ts
local   all          all                  trust
local   replication  all                  trust
host    all          all   127.0.0.1/32   scram-sha-256
host    replication  all   127.0.0.1/32   scram-sha-256
`;

/** initdb into a fresh temp directory and start on a free loopback port; stop() removes it all. */
/** `bin`: the server programs to run (the stack's PostgreSQL 15 by default; postgres16Bin() for 16). */
export async function startPrivatePostgres(bin = PG15_BIN): Promise<PrivatePostgres> {
  if (!existsSync(join(bin, 'initdb'))) throw new Error(`no PostgreSQL server programs in ${bin} (npm run stack:up installs PostgreSQL 15)`);
  const dir = mkdtempSync(join(tmpdir(), 'paysync-pg-'));
  const data = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  const log = join(dir, 'server.log');
  const password = randomBytes(12).toString('hex');
  let running = false;
  let port = 0;

  const stopNow = (): void => {
    try {
      if (running) execFileSync(...asServerUser(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']), { stdio: 'ignore' });
    } finally {
      running = false;
      rmSync(dir, { recursive: true, force: true });
    }
  };
  // A worker that ends without running afterAll (a crash, jest giving up) still takes its server down.
  process.once('exit', stopNow);

  const start = async (): Promise<void> => {
    await run(bin, 'pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', 'start']);
    running = true;
  };
  const crash = async (): Promise<void> => {
    await run(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    running = false;
  };

  try {
    mkdirSync(socketDir);
    writeFileSync(join(dir, 'pwfile'), `${password}\n`);
    if (process.getuid?.() === 0) {
      const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' })));
      for (const path of [dir, socketDir, join(dir, 'pwfile')]) chownSync(path, uid, gid);
    }
    await run(bin, 'initdb', ['-D', data, '-U', USER, `--pwfile=${join(dir, 'pwfile')}`, '-E', 'UTF8', '--locale=C.UTF-8', '--auth-local=trust', '--auth-host=scram-sha-256']);
    writeFileSync(join(data, 'pg_hba.conf'), ACCESS_RULES);
    appendFileSync(join(data, 'postgresql.conf'), "include 'paysync.conf'\n");
    // Another process can take the free port before the server binds it: then try another.
    for (let attempt = 1; !running; attempt++) {
      port = await freePort();
      writeFileSync(join(data, 'paysync.conf'), serverSettings(port, socketDir));
      await start().catch((err: Error) => {
        if (attempt >= 3) throw err;
      });
    }
  } catch (err) {
    stopNow();
    process.removeListener('exit', stopNow);
    throw err;
  }

  return {
    port,
    dir,
    url: (database) => `postgres://${USER}:${password}@127.0.0.1:${port}/${database}?sslmode=disable`,
    restartImmediate: async (downMs = 0) => {
      await crash();
      if (downMs > 0) await sleep(downMs);
      await start();
    },
    crash,
    start,
    logTail: () => (existsSync(log) ? readFileSync(log, 'utf8').slice(-4000) : ''),
    stop: async () => {
      process.removeListener('exit', stopNow);
      stopNow();
    },
  };
}
