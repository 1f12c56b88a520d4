import {
  closedAddress,
  DRAIN_TIMEOUT_MS,
  expectCleanStop,
  expectOneLinePerRetryPeriod,
  kafkajsRetryLines,
  readyz,
  stopBySigterm,
  waitListening,
  waitUnreachableLines,
} from '../../support/dependency-outage';
import { createScratchDatabase, uniqueName, type ScratchDatabase } from '../../support/fixtures';
import { killAll, startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import { stackAddresses } from '../../support/stack-addresses';

jest.setTimeout(180_000);

const TABLE = 'public.accounts';
/** The password of every URL of a system that is down: it must never be shown. */
const PASSWORD = 'shutdown-not-shown';

const LISTENING = { apply: 'apply health server listening', capture: 'capture health server listening', reconcile: 'reconciler health server listening' } as const;
type Command = keyof typeof LISTENING;

interface Case {
  command: Command;
  setting: string;
  /** The settings that point `setting`'s system at a port nothing listens on. */
  down: (address: string) => Record<string, string>;
}

const postgresAt = (address: string) => `postgres://paysync:${PASSWORD}@${address}/paysync?sslmode=disable`;

const CASES: Record<string, Case> = {
  'apply, Kafka': { command: 'apply', setting: 'PAYSYNC_KAFKA_BROKERS', down: (a) => ({ PAYSYNC_KAFKA_BROKERS: a }) },
  'apply, schema registry': { command: 'apply', setting: 'PAYSYNC_SCHEMA_REGISTRY_URL', down: (a) => ({ PAYSYNC_SCHEMA_REGISTRY_URL: `http://${a}/apis/ccompat/v7` }) },
  'apply, target PostgreSQL': { command: 'apply', setting: 'PAYSYNC_TARGET_URL', down: (a) => ({ PAYSYNC_TARGET_URL: postgresAt(a) }) },
  'apply, target MariaDB': { command: 'apply', setting: 'PAYSYNC_TARGET_URL', down: (a) => ({ PAYSYNC_TARGET_URL: `mysql://paysync:${PASSWORD}@${a}/paysync` }) },
  'capture, source PostgreSQL': { command: 'capture', setting: 'PAYSYNC_SOURCE_URL', down: (a) => ({ PAYSYNC_SOURCE_URL: postgresAt(a) }) },
  'capture, Kafka': { command: 'capture', setting: 'PAYSYNC_KAFKA_BROKERS', down: (a) => ({ PAYSYNC_KAFKA_BROKERS: a }) },
  'capture, schema registry': { command: 'capture', setting: 'PAYSYNC_SCHEMA_REGISTRY_URL', down: (a) => ({ PAYSYNC_SCHEMA_REGISTRY_URL: `http://${a}/apis/ccompat/v7` }) },
  'reconciler, source PostgreSQL': { command: 'reconcile', setting: 'PAYSYNC_SOURCE_URL', down: (a) => ({ PAYSYNC_SOURCE_URL: postgresAt(a) }) },
  'reconciler, target PostgreSQL': { command: 'reconcile', setting: 'PAYSYNC_TARGET_URL', down: (a) => ({ PAYSYNC_TARGET_URL: postgresAt(a) }) },
};

/**
 * Each long-running command started with one outside system down (a closed port), the others up:
 * it names that system's address and setting once per retry period (no raw kafkajs retry lines),
 * is not ready, and a SIGTERM while it waits ends it cleanly within PAYSYNC_DRAIN_TIMEOUT_MS.
 */
describe('a dependency down when a service starts', () => {
  let source: ScratchDatabase;
  let target: ScratchDatabase;
  const processes: PaysyncProcess[] = [];

  beforeAll(async () => {
    source = await createScratchDatabase('shutdown_src');
    await source.pool.query('CREATE TABLE public.accounts (id bigint PRIMARY KEY, balance numeric NOT NULL)');
    target = await createScratchDatabase('shutdown_tgt');
  });
  afterAll(async () => {
    await killAll(processes);
    await source?.drop();
    await target?.drop();
  });

  /** Every setting of `command` with the stack's systems up, names of this test's own. */
  function settingsUp(command: Command): Record<string, string> {
    const stack = stackAddresses();
    const name = uniqueName('shutdown');
    const shared = { PAYSYNC_TABLES: TABLE, PAYSYNC_DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS) };
    const kafka = { PAYSYNC_KAFKA_BROKERS: stack.PAYSYNC_TEST_KAFKA_BROKERS, PAYSYNC_SCHEMA_REGISTRY_URL: stack.PAYSYNC_TEST_REGISTRY_URL, PAYSYNC_TOPIC_PREFIX: name.replace(/_/g, '-') };
    if (command === 'apply') return { ...shared, ...kafka, PAYSYNC_TARGET_URL: target.url, PAYSYNC_GROUP_ID: name };
    if (command === 'capture') return { ...shared, ...kafka, PAYSYNC_SOURCE_URL: source.url, PAYSYNC_SLOT: name, PAYSYNC_PUBLICATION: name };
    return { ...shared, PAYSYNC_SOURCE_URL: source.url, PAYSYNC_TARGET_URL: target.url };
  }

  it.concurrent.each(Object.entries(CASES))('%s: one line per retry period, not ready, a SIGTERM ends it', async (_name, { command, setting, down }) => {
    const address = await closedAddress();
    const service = startPaysync(command, { ...settingsUp(command), ...down(address) });
    processes.push(service);
    await waitListening(service, LISTENING[command]);

    const lines = await waitUnreachableLines(service, setting, 2);
    expect(String(lines[0].msg)).toContain(`unreachable at ${address} (${setting}): connect ECONNREFUSED; retrying in`);
    expectOneLinePerRetryPeriod(lines);
    expect(kafkajsRetryLines(service)).toEqual([]);
    const ready = await readyz(service, LISTENING[command]);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(ready.body.unreachable)).toContain(`(${setting})`);

    expectCleanStop(await stopBySigterm(service));
    expect(service.output()).not.toContain(PASSWORD);
  });
});
