import { execFileSync } from 'node:child_process';
import type { StackAddresses } from './stack-addresses';

/** True when a Docker engine answers (not just the docker client). */
export function dockerEngineAnswers(): boolean {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export interface StartedStack {
  addresses: StackAddresses;
  stop(): Promise<void>;
}

/**
 * The path for machines with Docker and no stack given: the same four services as
 * `npm run stack:up`, started with testcontainers. Loaded lazily so machines without Docker never
 * touch it.
 */
export async function startContainerStack(): Promise<StartedStack> {
  const { GenericContainer, Wait, Network } = await import('testcontainers');
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const { MariaDbContainer } = await import('@testcontainers/mariadb');

  const network = await new Network().start();
  const [pg, kafka, mariadb, registry] = await Promise.all([
    new PostgreSqlContainer('postgres:16')
      .withUsername('paysync')
      .withPassword('paysync')
      .withDatabase('paysync_source')
      .withCommand(['postgres', '-c', 'wal_level=logical', '-c', 'max_replication_slots=20', '-c', 'max_wal_senders=20'])
      .start(),
    new KafkaContainer('confluentinc/cp-kafka:7.7.1').withKraft().withNetwork(network).start(),
    new MariaDbContainer('mariadb:11').withUsername('paysync').withUserPassword('paysync').withDatabase('paysync_target').withRootPassword('paysync').start(),
    new GenericContainer('apicurio/apicurio-registry:3.0.6')
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
      .start(),
  ]);
  const addresses: StackAddresses = {
    PAYSYNC_TEST_PG_URL: `postgres://paysync:paysync@${pg.getHost()}:${pg.getPort()}/paysync_source`,
    PAYSYNC_TEST_MYSQL_URL: `mysql://root:paysync@${mariadb.getHost()}:${mariadb.getPort()}/paysync_target`,
    PAYSYNC_TEST_KAFKA_BROKERS: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
    PAYSYNC_TEST_REGISTRY_URL: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
  };
  return {
    addresses,
    stop: async () => {
      await Promise.all([pg.stop(), kafka.stop(), mariadb.stop(), registry.stop()]);
      await network.stop();
    },
  };
}
