import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { java, killAndWait, spawnJava } from './java-process';
import { waitUntil } from './wait';

/** The Kafka jars `npm run stack:up` fetched (scripts/stack: Kafka 3.9, KRaft). */
const KAFKA_JARS = join(__dirname, '..', '..', '.stack', 'cache', 'kafka');

/**
 * A single-node Kafka of one test's own (KRaft, plaintext on loopback), for what a test must not do
 * to the stack's broker, which every suite shares: kill it.
 */
export interface PrivateKafka {
  readonly brokers: string;
  /** SIGKILLs the broker (no clean shutdown: its logs are recovered at the next start). */
  kill(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it serves. */
  start(): Promise<void>;
  logTail(): string;
  /** Kills it and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

function serverProperties(dir: string, port: number, controllerPort: number): string {
  return `# written by test/support/private-kafka.ts
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${join(dir, 'data')}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
`;
}

const LOG4J = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
`;

function runTool(args: string[], dir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(java(), ['-Xmx128m', '-cp', `${KAFKA_JARS}/*`, `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`, 'kafka.tools.StorageTool', ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`StorageTool ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

/** Formats a fresh KRaft log in a temp directory and starts the broker on free loopback ports. */
export async function startPrivateKafka(): Promise<PrivateKafka> {
  if (!existsSync(KAFKA_JARS)) throw new Error(`no Kafka jars in ${KAFKA_JARS} (npm run stack:up fetches them)`);
  const dir = mkdtempSync(join(tmpdir(), 'paysync-kafka-'));
  const log = join(dir, 'kafka.log');
  const [port, controllerPort] = [await freePort(), await freePort()];
  let broker: ChildProcess | undefined;

  const removeNow = (): void => {
    broker?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  // A worker that ends without running afterAll still takes its broker down.
  process.once('exit', removeNow);
  const kill = (): Promise<void> => killAndWait(broker);

  const start = async (): Promise<void> => {
    const child = spawnJava(['-Xms128m', '-Xmx384m', '-XX:+UseG1GC', `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`, '-cp', `${KAFKA_JARS}/*`, 'kafka.Kafka', join(dir, 'server.properties')], log);
    broker = child;
    await waitUntil(
      () => `the private Kafka broker to start; its log:\n${readFileSync(log, 'utf8').slice(-3000)}`,
      () => {
        if (child.exitCode !== null) throw new Error(`the private Kafka broker exited (${child.exitCode}):\n${readFileSync(log, 'utf8').slice(-3000)}`);
        return readFileSync(log, 'utf8').includes('Kafka Server started');
      },
      120_000,
      200,
    );
  };

  writeFileSync(join(dir, 'server.properties'), serverProperties(dir, port, controllerPort));
  writeFileSync(join(dir, 'log4j.properties'), LOG4J);
  const clusterId = await runTool(['random-uuid'], dir);
  await runTool(['format', '-t', clusterId, '-c', join(dir, 'server.properties')], dir);
  await start();

  return {
    brokers: `127.0.0.1:${port}`,
    kill,
    start,
    logTail: () => (existsSync(log) ? readFileSync(log, 'utf8').slice(-4000) : ''),
    stop: async () => {
      process.removeListener('exit', removeNow);
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
