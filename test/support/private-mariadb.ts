import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { waitUntil } from './wait';

/** Where the stack finds MariaDB's programs (scripts/stack/up.sh: Debian's mariadb-server and -client). */
const PROGRAMS = { server: '/usr/sbin/mariadbd', installDb: '/usr/bin/mariadb-install-db', client: '/usr/bin/mariadb', admin: '/usr/bin/mariadb-admin' };
const USER = 'paysync';

/**
 * A MariaDB server of one test's own, for what a test must not do to the stack's server, which
 * every suite shares: stop it.
 */
export interface PrivateMariadb {
  readonly port: number;
  /** URL of a database of this server as a user with every privilege (loopback TCP, no TLS). */
  url(database: string): string;
  /** Stops the server as an operator does (SIGTERM: InnoDB shuts down cleanly); resolves once it has exited. */
  shutdown(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it answers. */
  start(): Promise<void>;
  logTail(): string;
  /** Kills it and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

function run(program: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${program} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

/** mariadbd refuses to run as root unless told to (scripts/stack/mariadb.sh maria_user_args). */
const asUser = (): string[] => (process.getuid?.() === 0 ? ['--user=root'] : []);

/** mariadb-install-db into a fresh temp directory, then the server on a free loopback port; stop() removes it all. */
export async function startPrivateMariadb(): Promise<PrivateMariadb> {
  if (!existsSync(PROGRAMS.server) || !existsSync(PROGRAMS.installDb)) throw new Error(`no MariaDB server programs (${PROGRAMS.server}, ${PROGRAMS.installDb}; npm run stack:up installs them)`);
  const dir = mkdtempSync(join(tmpdir(), 'paysync-mariadb-'));
  const [data, socket, log] = [join(dir, 'data'), join(dir, 'mariadb.sock'), join(dir, 'error.log')];
  mkdirSync(join(dir, 'tmp'));
  const password = randomBytes(12).toString('hex');
  const port = await freePort();
  let server: ChildProcess | undefined;

  const removeNow = (): void => {
    server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  // A worker that ends without running afterAll still takes its server down.
  process.once('exit', removeNow);
  const logTail = (): string => (existsSync(log) ? readFileSync(log, 'utf8').slice(-4000) : '');
  const root = (sql: string): Promise<string> => run(PROGRAMS.client, ['--no-defaults', '-S', socket, '-uroot', '-e', sql]);

  const exitOf = (child: ChildProcess | undefined): Promise<void> =>
    !child || child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

  const start = async (): Promise<void> => {
    const child = spawn(
      PROGRAMS.server,
      [
        '--no-defaults',
        `--datadir=${data}`,
        ...asUser(),
        `--socket=${socket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--pid-file=${join(dir, 'mariadb.pid')}`,
        `--log-error=${log}`,
        `--tmpdir=${join(dir, 'tmp')}`,
        '--skip-name-resolve',
        '--skip-log-bin',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_general_ci',
        '--default-time-zone=+00:00',
        '--max-connections=100',
        '--innodb-buffer-pool-size=64M',
        '--innodb-flush-log-at-trx-commit=2',
      ],
      { stdio: 'ignore' },
    );
    server = child;
    await waitUntil(
      () => `the private MariaDB to answer on ${socket}; its log:\n${logTail()}`,
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the private MariaDB exited (${child.exitCode ?? child.signalCode}) while starting:\n${logTail()}`);
        await run(PROGRAMS.admin, ['--no-defaults', '-S', socket, '-uroot', 'ping']);
        return true;
      },
      120_000,
      200,
    );
  };

  const shutdown = async (): Promise<void> => {
    const exited = exitOf(server);
    server?.kill('SIGTERM');
    await exited;
  };

  try {
    await run(PROGRAMS.installDb, ['--no-defaults', `--datadir=${data}`, ...asUser(), '--auth-root-authentication-method=normal', '--skip-test-db']);
    await start();
    await root(`CREATE USER '${USER}'@'%' IDENTIFIED BY '${password}'; GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'%' WITH GRANT OPTION; FLUSH PRIVILEGES;`);
  } catch (err) {
    process.removeListener('exit', removeNow);
    const exited = exitOf(server);
    removeNow();
    await exited;
    throw err;
  }

  return {
    port,
    url: (database) => `mysql://${USER}:${password}@127.0.0.1:${port}/${database}`,
    shutdown,
    start,
    logTail,
    stop: async () => {
      process.removeListener('exit', removeNow);
      const exited = exitOf(server);
      server?.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
