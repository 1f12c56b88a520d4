import { registrySecuritySettings, kafkaSecuritySettings } from './security-settings';
import { integer, list, oneOf, optional, text, url } from './setting';

/** Settings every service shares. Services pick the ones they need by spreading these objects. */
export const httpSettings = {
  httpPort: integer('PAYSYNC_HTTP_PORT', {
    description: 'Port of the HTTP server with /healthz, /readyz and /metrics (0 picks a free port).',
    default: 8080,
    min: 0,
    max: 65535,
  }),
  httpHost: text('PAYSYNC_HTTP_HOST', { description: 'Address the HTTP server listens on.', default: '0.0.0.0' }),
  logLevel: oneOf('PAYSYNC_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const, {
    description: 'Least severe log level written (JSON lines on stdout).',
    default: 'info',
  }),
  drainTimeoutMs: integer('PAYSYNC_DRAIN_TIMEOUT_MS', {
    description:
      'Longest a stop on SIGTERM or SIGINT may take (the batch or send in flight committed or rolled back whole, connections closed); past it the process logs what still held it and exits with code 1, which loses nothing (the next start resumes from the committed position). Keep it below the grace period of what stops the process: the Helm chart sets it 5 s below terminationGracePeriodSeconds.',
    default: 25_000,
    min: 1000,
    max: 3_600_000,
  }),
};

const BROKER = /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/;

export const kafkaSettings = {
  kafkaBrokers: list('PAYSYNC_KAFKA_BROKERS', {
    description: 'Kafka bootstrap brokers, comma-separated host:port.',
    example: 'kafka-1:9092,kafka-2:9092',
    item: (v) => {
      if (!BROKER.test(v)) throw new Error('must be host:port');
    },
  }),
  kafkaClientId: text('PAYSYNC_KAFKA_CLIENT_ID', { description: 'Client id sent to Kafka (shows in broker logs and quotas).', default: 'paysync' }),
  ...kafkaSecuritySettings,
  schemaRegistryUrl: url('PAYSYNC_SCHEMA_REGISTRY_URL', {
    description: 'Base URL of the Confluent-compatible schema registry (for Apicurio: .../apis/ccompat/v7).',
    example: 'http://registry:8080/apis/ccompat/v7',
    protocols: ['http:', 'https:'],
    secret: true,
  }),
  ...registrySecuritySettings,
  topicPrefix: text('PAYSYNC_TOPIC_PREFIX', {
    description: 'Prefix of every topic: <prefix>.<schema>.<table>.',
    default: 'paysync',
    pattern: /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/,
    patternText: 'letters, digits, _ and -, dot-separated',
  }),
};

export const sourceSettings = {
  sourceUrl: url('PAYSYNC_SOURCE_URL', {
    description: 'PostgreSQL source database (the one whose changes are captured).',
    example: 'postgres://paysync:secret@db:5432/payments',
    protocols: ['postgres:', 'postgresql:'],
    secret: true,
  }),
  tables: list('PAYSYNC_TABLES', {
    description: 'Tables to capture, comma-separated schema.table.',
    example: 'public.accounts,public.transfers',
    item: (v) => {
      if (!/^[^.\s]+\.[^.\s]+$/.test(v)) throw new Error('must be schema.table');
    },
  }),
};

const TABLE = /^[^.\s=]+\.[^.\s=]+$/;

export const targetSettings = {
  targetUrl: url('PAYSYNC_TARGET_URL', {
    description: 'Target database (PostgreSQL or MariaDB/MySQL): apply writes it, the reconciler compares it with the source.',
    example: 'postgres://paysync:secret@replica:5432/payments or mysql://paysync:secret@reporting:3306/payments',
    protocols: ['postgres:', 'postgresql:', 'mysql:', 'mariadb:'],
    secret: true,
  }),
  tableMapping: optional(
    list('PAYSYNC_TABLE_MAPPING', {
      description: 'Target names that differ from the default (PostgreSQL: the source schema.table; MariaDB/MySQL: the bare table name), comma-separated source=target.',
      example: 'public.accounts=replica.accounts,public.ledger=ledger_2024',
      item: (v) => {
        const [from, to, extra] = v.split('=');
        if (extra !== undefined || !from || !to || !TABLE.test(from) || !/^[^.\s=]+(\.[^.\s=]+)?$/.test(to)) throw new Error('must be schema.table=target_table or schema.table=target_schema.target_table');
      },
    }),
  ),
};

const COLUMN = /^[^.\s]+\.[^.\s]+\.[^.\s]+$/;

function columnList(env: string, description: string, example: string) {
  return optional(
    list(env, {
      description,
      example,
      item: (v) => {
        if (!COLUMN.test(v)) throw new Error('must be schema.table.column');
      },
    }),
  );
}

/**
 * Column filters and masking at capture (docs/security-masking.md). Capture applies them to every
 * schema and event; the reconciler needs the same values to compare what the target holds.
 */
export const columnPolicySettings = {
  columnExclude: columnList(
    'PAYSYNC_COLUMN_EXCLUDE',
    'Columns capture leaves out of the topic schemas and of every event (snapshot, stream, before images, re-reads, transaction topic), comma-separated schema.table.column; not primary-key columns. The reconciler needs the same list.',
    'public.cards.cvv',
  ),
  columnHash: columnList(
    'PAYSYNC_COLUMN_HASH',
    'Columns that travel as the lowercase hex HMAC-SHA-256 of their PostgreSQL text under PAYSYNC_COLUMN_HASH_KEY (NULL stays NULL; a primary-key column is hashed in the Kafka key too), comma-separated schema.table.column. The reconciler needs the same list.',
    'public.cards.pan',
  ),
  columnHashKey: optional(
    text('PAYSYNC_COLUMN_HASH_KEY', {
      description: 'Secret key of the HMAC of PAYSYNC_COLUMN_HASH, at least 32 characters (for example from a file: PAYSYNC_COLUMN_HASH_KEY_FILE). Another key changes every hash: the targets must then be rebuilt from a new snapshot.',
      example: 'the output of openssl rand -hex 32',
      secret: true,
      pattern: /^[\s\S]{32,}$/,
      patternText: 'a text of at least 32 characters',
    }),
  ),
};
