import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase } from './fixtures';
import { freePort } from './free-port';
import { killAndWait, spawnJava } from './java-process';
import { waitUntil } from './wait';

const REPO_ROOT = join(__dirname, '..', '..');
/** Where `npm run stack:up` unpacked Apicurio Registry (scripts/stack/up.sh, stack/pom.xml). */
const APICURIO_DIR = join(REPO_ROOT, '.stack', 'cache', 'apicurio');
/** The options the stack's registry runs with too (scripts/stack/registry.sh), in java's @file form. */
const REGISTRY_ARGS = join(REPO_ROOT, 'scripts', 'stack', 'registry.args');

/**
 * An Apicurio Registry of one test's own, keeping its schemas in a PostgreSQL database of its own
 * on the stack's server, for what a test must not do to the stack's registry, which every suite
 * shares: kill it.
 */
export interface PrivateRegistry {
  /** http://127.0.0.1:<port>, the root of all its APIs. */
  readonly origin: string;
  /** Its Confluent-compatible API, what PAYSYNC_SCHEMA_REGISTRY_URL names. */
  readonly url: string;
  /** SIGKILLs it (no clean shutdown); its database stays. */
  kill(): Promise<void>;
  /** SIGSTOPs it: a stalled registry (a long GC pause, a frozen VM) accepts connections and answers none. */
  pause(): void;
  /** SIGCONTs it after pause(). */
  resume(): void;
  /** Starts it again on the same port and database; resolves once it serves. */
  start(): Promise<void>;
  logTail(): string;
  /** Kills it, drops its database and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

function runnerJar(): string {
  const jar = existsSync(APICURIO_DIR) ? readdirSync(APICURIO_DIR).find((f) => /^apicurio-registry-app-.*-runner\.jar$/.test(f)) : undefined;
  if (!jar) throw new Error(`no Apicurio Registry runner jar in ${APICURIO_DIR} (npm run stack:up fetches it)`);
  return join(APICURIO_DIR, jar);
}

/** Makes its database, starts it on a free loopback port and waits until it answers. */
export async function startPrivateRegistry(): Promise<PrivateRegistry> {
  const jar = runnerJar();
  const db = await createScratchDatabase('paysync_registry');
  const dir = mkdtempSync(join(tmpdir(), 'paysync-registry-'));
  const work = join(dir, 'tmp');
  mkdirSync(work);
  const log = join(dir, 'registry.log');
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const url = `${origin}/apis/ccompat/v7`;
  const pg = new URL(db.url);
  const args = [
    `@${REGISTRY_ARGS}`,
    `-Djava.io.tmpdir=${work}`,
    `-Dquarkus.http.port=${port}`,
    `-Dapicurio.datasource.url=jdbc:postgresql://${pg.hostname}:${pg.port}/${db.name}`,
    `-Dapicurio.datasource.username=${decodeURIComponent(pg.username)}`,
    `-Dapicurio.import.work-dir=${work}`,
    `-Dapicurio.storage.snapshot.location=${work}`,
    '-jar',
    jar,
  ];
  // The password through the environment, as scripts/stack/registry.sh passes it; the working
  // directory its own, so Quarkus reads no .env or config/ of someone else's.
  const env = { ...process.env, APICURIO_DATASOURCE_PASSWORD: decodeURIComponent(pg.password) };
  let registry: ChildProcess | undefined;
  let stopped = false;

  const removeNow = (): void => {
    registry?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  // A worker that ends without running afterAll still takes its registry down (the database stays).
  process.once('exit', removeNow);
  const kill = (): Promise<void> => killAndWait(registry);
  const logTail = (): string => (existsSync(log) ? readFileSync(log, 'utf8').slice(-4000) : '');

  const start = async (): Promise<void> => {
    const child = spawnJava(args, log, { cwd: dir, env });
    registry = child;
    // An exit during start-up (a refused database login, a taken port) ends the wait at once.
    const exited = new Promise<never>((_resolve, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`the private registry exited (${code ?? signal}) while starting:\n${logTail()}`)));
    });
    await Promise.race([
      exited,
      waitUntil(
        () => `the private registry to answer at ${url}/subjects; its log:\n${logTail()}`,
        // (a process that has ended stops the polling too: `exited` has failed the start by then)
        async () => child.exitCode !== null || child.signalCode !== null || (await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(3000) })).ok,
        180_000,
        300,
      ),
    ]);
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', removeNow);
    await kill();
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  };

  try {
    await start();
  } catch (err) {
    await stop();
    throw err;
  }
  return { origin, url, kill, pause: () => registry?.kill('SIGSTOP'), resume: () => registry?.kill('SIGCONT'), start, logTail, stop };
}
