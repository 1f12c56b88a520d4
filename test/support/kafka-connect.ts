import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './free-port';
import { java } from './java-process';
import { failIfPeerExited, startPeer, stopPeer, withLog, type PeerProcess } from './peer-process';
import { stackAddresses } from './stack-addresses';
import { sleep } from './wait';

const REPO = join(__dirname, '..', '..');
/** Where bench/peers/fetch.sh puts Kafka Connect 3.9.1 (connect/) and its plugins (plugins/). */
export const PEERS_CACHE = join(REPO, '.stack', 'cache', 'peers');

/** Fetches Kafka Connect, Debezium and Apicurio's converter when missing (maven: minutes on a fresh clone, at once after). */
export function fetchKafkaConnect(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('bash', [join(REPO, 'bench', 'peers', 'fetch.sh'), 'debezium'], { timeout: 20 * 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`bench/peers/fetch.sh debezium failed: ${err.message}\n${stdout}${stderr}`));
      else resolve();
    });
  });
}

export function debeziumVersion(): string {
  const jar = readdirSync(join(PEERS_CACHE, 'plugins', 'debezium-connector-postgres')).find((f) => f.startsWith('debezium-connector-postgres-'));
  return jar?.replace(/^debezium-connector-postgres-(.*)\.jar$/, '$1') ?? 'unknown';
}

/** Java properties text; backslashes are escapes there. */
export function properties(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${String(v).replace(/\\/g, '\\\\')}`)
    .join('\n');
}

/**
 * Connect's converter settings. `avro`: Apicurio's AvroConverter with the stack's registry, in
 * Apicurio's own framing (the schema's id in record headers); `avro-confluent`: the same converter
 * in Confluent's wire format (magic byte and the 4-byte id the registry's ccompat API gives, which
 * is the content id), what paysync writes; `json`: JSON with the schema in every record (the JDBC
 * sink needs a schema).
 */
export function converters(format: 'avro' | 'avro-confluent' | 'json'): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const side of ['key', 'value']) {
    if (format === 'json') {
      settings[`${side}.converter`] = 'org.apache.kafka.connect.json.JsonConverter';
      settings[`${side}.converter.schemas.enable`] = 'true';
      continue;
    }
    settings[`${side}.converter`] = 'io.apicurio.registry.utils.converter.AvroConverter';
    // The 2.6 converter speaks the registry's v2 API (bench/peers/debezium/pom.xml).
    settings[`${side}.converter.apicurio.registry.url`] = stackAddresses().PAYSYNC_TEST_REGISTRY_URL.replace(/\/apis\/ccompat\/v7$/, '/apis/registry/v2');
    settings[`${side}.converter.apicurio.registry.auto-register`] = 'true';
    settings[`${side}.converter.apicurio.registry.find-latest`] = 'true';
    if (format === 'avro-confluent') {
      settings[`${side}.converter.apicurio.registry.headers.enabled`] = 'false';
      settings[`${side}.converter.apicurio.registry.as-confluent`] = 'true';
      settings[`${side}.converter.apicurio.registry.use-id`] = 'contentId';
    }
  }
  return settings;
}

interface ConnectorStatus {
  connector: { state: string; trace?: string };
  tasks: { id: number; state: string; trace?: string }[];
}

/** The connector's REST status; undefined while the worker is not up or the connector not created yet. */
export async function connectorStatus(restUrl: string, connector: string): Promise<ConnectorStatus | undefined> {
  const response = await fetch(`${restUrl}/connectors/${connector}/status`).catch(() => undefined);
  return response?.ok ? ((await response.json()) as ConnectorStatus) : undefined;
}

/** The connector or one of its tasks failed: the REST status says why. */
async function connectFailure(restUrl: string, connector: string): Promise<string | undefined> {
  const status = await connectorStatus(restUrl, connector);
  if (!status) return undefined;
  if (status.connector.state === 'FAILED') return `${connector}: ${status.connector.trace ?? 'failed'}`;
  const task = status.tasks.find((t) => t.state === 'FAILED');
  return task ? `${connector} task ${task.id}: ${task.trace ?? 'failed'}` : undefined;
}

/** Connect names a sink's consumer group connect-<connector>. */
export const sinkConsumerGroup = (connector: string): string => `connect-${connector}`;

export type ConnectorSettings = Record<string, string | number> & { name: string };

export interface ConnectWorker {
  readonly restUrl: string;
  readonly logFile: string;
  /** Throws when the worker exited, or `connector` (by default: any connector) or a task of it failed. */
  alive(connector?: string): void;
  /** `err` with the warnings and errors of the worker's log. */
  explain(err: unknown): Error;
  /** Stops the worker cleanly (its sinks leave their consumer groups); safe to call twice. */
  stop(): Promise<void>;
}

const LOG4J = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
`;

/**
 * Runs Kafka Connect standalone (org.apache.kafka.connect.cli.ConnectStandalone) with `connectors`,
 * its config files, offsets and log in `dir` (the caller removes it). A failed task does not end the
 * worker: its REST status is watched beside the process, and `alive()` reports it.
 */
export async function startConnect(options: {
  dir: string;
  converters: Record<string, string>;
  connectors: ConnectorSettings[];
  /** e.g. -Duser.timezone=... */
  jvmOptions?: string[];
  /** Worker settings beside (or instead of) the defaults below. */
  worker?: Record<string, string | number>;
}): Promise<ConnectWorker> {
  if (!existsSync(join(PEERS_CACHE, 'connect')) || !existsSync(join(PEERS_CACHE, 'plugins', 'debezium-connector-jdbc'))) {
    throw new Error('Kafka Connect or the Debezium connectors are missing: run bash bench/peers/fetch.sh debezium');
  }
  const { dir } = options;
  const restUrl = `http://127.0.0.1:${await freePort()}`;
  writeFileSync(
    join(dir, 'worker.properties'),
    properties({
      'bootstrap.servers': stackAddresses().PAYSYNC_TEST_KAFKA_BROKERS,
      ...options.converters,
      'offset.storage.file.filename': join(dir, 'connect.offsets'),
      // Debezium confirms a WAL position to the slot when Connect flushes offsets (default every 60 s).
      'offset.flush.interval.ms': 10_000,
      'plugin.path': join(PEERS_CACHE, 'plugins'),
      listeners: restUrl,
      ...options.worker,
    }),
  );
  const connectorFiles = options.connectors.map((settings) => {
    const file = join(dir, `${settings.name}.properties`);
    writeFileSync(file, properties(settings));
    return file;
  });
  writeFileSync(join(dir, 'log4j.properties'), LOG4J);
  const logFile = join(dir, 'connect.log');
  const worker: PeerProcess = startPeer(
    java(),
    [
      '-Xms256m', '-Xmx1g', '-XX:+UseG1GC',
      ...(options.jvmOptions ?? []),
      `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
      '-cp', `${join(PEERS_CACHE, 'connect')}/*`,
      'org.apache.kafka.connect.cli.ConnectStandalone', join(dir, 'worker.properties'), ...connectorFiles,
    ],
    logFile,
    dir,
  );
  // A test worker that ends without its afterAll still takes the JVM down.
  const killOnExit = (): void => void worker.child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const failures = new Map<string, string>();
  let watching = true;
  void (async () => {
    while (watching) {
      for (const { name } of options.connectors) {
        if (!failures.has(name)) {
          const failure = await connectFailure(restUrl, name);
          if (failure) failures.set(name, failure);
        }
      }
      await sleep(1000);
    }
  })().catch((err: unknown) => {
    for (const { name } of options.connectors) failures.set(name, `status unreadable: ${String(err)}`);
  });
  return {
    restUrl,
    logFile,
    alive: (connector) => {
      failIfPeerExited('Kafka Connect', worker);
      const failure = connector === undefined ? [...failures.values()][0] : failures.get(connector);
      if (failure) throw new Error(`Kafka Connect: ${failure}`);
    },
    explain: (err) => withLog(err, logFile),
    stop: async () => {
      watching = false;
      process.removeListener('exit', killOnExit);
      await stopPeer(worker);
    },
  };
}
