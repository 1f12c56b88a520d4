import { APPLY_OFFSETS_TABLE } from '@paysync/contract';
import { deleteTopics, ensureTopics } from '@paysync/kafka';
import { createPool } from '@paysync/postgres';
import {
  DRAIN_TIMEOUT_MS,
  expectCleanStop,
  expectOneLinePerRetryPeriod,
  expectRunning,
  kafkajsRetryLines,
  readyz,
  running,
  stopBySigterm,
  unreachableLines,
  waitUnreachableLines,
} from '../../support/dependency-outage';
import { createScratchDatabase, testKafka, uniqueName, withDatabase, type ScratchDatabase } from '../../support/fixtures';
import { killAll, startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import { startPrivateKafka, type PrivateKafka } from '../../support/private-kafka';
import { startPrivatePostgres, type PrivatePostgres } from '../../support/private-postgres';
import { sendRawRecords } from '../../support/raw-records';
import { stackAddresses } from '../../support/stack-addresses';
import { topicsOf } from '../../support/topic-leaks';
import { waitUntil } from '../../support/wait';

jest.setTimeout(420_000);

const TABLE = 'public.accounts';
const LISTENING = 'apply health server listening';

/** apply's settings: the stack's systems unless given, names of this test's own; its one topic made on `brokers`. */
async function applySettings(brokers: string, targetUrl: string): Promise<Record<string, string>> {
  const name = uniqueName('shutdown');
  const prefix = name.replace(/_/g, '-');
  await ensureTopics(testKafka(brokers), [{ topic: `${prefix}.${TABLE}`, numPartitions: 1 }]);
  return {
    PAYSYNC_KAFKA_BROKERS: brokers,
    PAYSYNC_SCHEMA_REGISTRY_URL: stackAddresses().PAYSYNC_TEST_REGISTRY_URL,
    PAYSYNC_TARGET_URL: targetUrl,
    PAYSYNC_GROUP_ID: name,
    PAYSYNC_TABLES: TABLE,
    PAYSYNC_TOPIC_PREFIX: prefix,
    PAYSYNC_DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS),
  };
}

async function waitReady(apply: PaysyncProcess, status: 200 | 503, why: string): Promise<void> {
  await waitUntil(() => `/readyz to answer ${status} ${why}; output:\n${apply.output().slice(-3000)}`, async () => !running(apply) || (await readyz(apply, LISTENING)).status === status, 120_000, 200);
  expectRunning(apply);
}

/**
 * apply running, then a system it needs goes away (a private broker SIGKILLed, a private target
 * crashed: the stack's are shared and never touched): it names that system once per retry period,
 * is not ready until it is back, and a SIGTERM meanwhile ends it cleanly within the drain limit.
 */
describe('a dependency lost while apply runs', () => {
  const processes: PaysyncProcess[] = [];
  afterAll(() => killAll(processes));

  describe('Kafka', () => {
    let kafka: PrivateKafka;
    let target: ScratchDatabase;

    beforeAll(async () => {
      kafka = await startPrivateKafka();
      target = await createScratchDatabase('shutdown_tgt');
    });
    afterAll(async () => {
      await killAll(processes);
      await kafka?.stop();
      await target?.drop();
    });

    it('says the brokers are unreachable, is not ready until they are back, and stops on SIGTERM while they are away', async () => {
      const apply = startPaysync('apply', await applySettings(kafka.brokers, target.url));
      processes.push(apply);
      await waitReady(apply, 200, 'once apply runs');

      await kafka.kill();
      const lines = await waitUnreachableLines(apply, 'PAYSYNC_KAFKA_BROKERS', 2);
      expect(String(lines[0].msg)).toContain(`Kafka unreachable at ${kafka.brokers} (PAYSYNC_KAFKA_BROKERS): `);
      expectOneLinePerRetryPeriod(lines);
      await waitReady(apply, 503, 'with the broker killed');

      await kafka.start();
      await waitReady(apply, 200, 'with the broker back');

      const before = unreachableLines(apply, 'PAYSYNC_KAFKA_BROKERS').length;
      await kafka.kill();
      await waitUnreachableLines(apply, 'PAYSYNC_KAFKA_BROKERS', before + 1);
      expect(kafkajsRetryLines(apply)).toEqual([]);
      expectCleanStop(await stopBySigterm(apply));
    });
  });

  describe('the target', () => {
    let server: PrivatePostgres;
    let target: ScratchDatabase;

    beforeAll(async () => {
      server = await startPrivatePostgres();
      target = await createScratchDatabase('shutdown_tgt', withDatabase(server.url('postgres'), 'postgres'));
    });
    let prefix: string | undefined;
    afterAll(async () => {
      await killAll(processes);
      await server?.stop();
      // The topic and the dead-letter topic apply made on the stack's broker.
      if (prefix) await deleteTopics(testKafka(), await topicsOf(testKafka(), prefix));
    });

    it('says the target is unreachable when a batch needs it, is not ready, stops on SIGTERM, and stored no offset past the unapplied record', async () => {
      const settings = await applySettings(stackAddresses().PAYSYNC_TEST_KAFKA_BROKERS, target.url);
      prefix = settings.PAYSYNC_TOPIC_PREFIX;
      const apply = startPaysync('apply', settings);
      processes.push(apply);
      await waitReady(apply, 200, 'once apply runs');

      await target.pool.end();
      await server.crash();
      // A record apply cannot decode: it goes to the dead-letter topic, and its offset to the target with the batch.
      await sendRawRecords(testKafka(), `${settings.PAYSYNC_TOPIC_PREFIX}.${TABLE}`, [{ key: 'k', value: 'not avro' }]);
      const lines = await waitUnreachableLines(apply, 'PAYSYNC_TARGET_URL', 2);
      expect(String(lines[0].msg)).toContain(`PostgreSQL unreachable at 127.0.0.1:${server.port} (PAYSYNC_TARGET_URL): connect ECONNREFUSED; retrying in`);
      expectOneLinePerRetryPeriod(lines);
      await waitReady(apply, 503, 'with the target down');
      expectCleanStop(await stopBySigterm(apply));

      // The batch in flight rolled back whole: the target holds no offset of the group.
      await server.start();
      const check = createPool(target.url, { applicationName: 'paysync-test', max: 1 });
      try {
        const { rows } = await check.query<{ n: string }>(`SELECT count(*) AS n FROM ${APPLY_OFFSETS_TABLE.postgres.table} WHERE group_id = $1`, [settings.PAYSYNC_GROUP_ID]);
        expect(rows[0].n).toBe('0');
      } finally {
        await check.end();
      }
    });
  });
});
