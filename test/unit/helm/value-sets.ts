/** Values the chart's tests render: the ways the README's Deploy section says to run paysync. */

const secret = (existingSecret: string, key: string) => ({ existingSecret, key });

/** What every real install gives: Kafka, the tables, the registry and the source. */
const connections = {
  shared: {
    settings: { PAYSYNC_KAFKA_BROKERS: 'kafka-0.kafka:9092,kafka-1.kafka:9092', PAYSYNC_TABLES: ['public.accounts', 'public.transfers', 'public.ledger'] },
  },
  registry: { secrets: { PAYSYNC_SCHEMA_REGISTRY_URL: secret('paysync-registry', 'url') } },
  source: { settings: { PAYSYNC_SLOT: 'paysync' }, secrets: { PAYSYNC_SOURCE_URL: secret('paysync-source', 'url') } },
};

export const CAPTURE_ONLY = connections;

export const APPLY_TO_TWO_TARGETS = {
  ...connections,
  capture: { enabled: false },
  targets: [
    {
      name: 'replica',
      settings: { PAYSYNC_GROUP_ID: 'paysync-apply-replica' },
      secrets: { PAYSYNC_TARGET_URL: secret('paysync-replica', 'url') },
      apply: { replicas: 3, settings: { PAYSYNC_APPLY_CONCURRENCY: 3, PAYSYNC_FETCH_MAX_BYTES_PER_PARTITION: 1048576 } },
    },
    {
      name: 'reporting',
      settings: { PAYSYNC_GROUP_ID: 'paysync-apply-reporting', PAYSYNC_TABLE_MAPPING: 'public.ledger=ledger_2024' },
      secrets: { PAYSYNC_TARGET_URL: secret('paysync-reporting', 'url') },
      apply: { settings: { PAYSYNC_APPLY_MODE: 'transactional' } },
    },
  ],
};

/** Every service and option on, with TLS, SASL, registry auth and masking from Secrets, and the weekly restore drill. */
export const EVERYTHING_ON = {
  ...APPLY_TO_TWO_TARGETS,
  shared: {
    settings: { ...connections.shared.settings, PAYSYNC_KAFKA_SSL: true, PAYSYNC_KAFKA_SASL_MECHANISM: 'scram-sha-512', PAYSYNC_KAFKA_SASL_USERNAME: 'paysync', PAYSYNC_LOG_LEVEL: 'info' },
    secrets: {
      PAYSYNC_KAFKA_SASL_PASSWORD: secret('paysync-kafka', 'password'),
      PAYSYNC_KAFKA_SSL_CA_FILE: secret('paysync-kafka-tls', 'ca.crt'),
      PAYSYNC_KAFKA_SSL_CERT_FILE: secret('paysync-kafka-tls', 'tls.crt'),
      PAYSYNC_KAFKA_SSL_KEY_FILE: secret('paysync-kafka-tls', 'tls.key'),
    },
  },
  registry: {
    settings: { PAYSYNC_SCHEMA_REGISTRY_USERNAME: 'paysync' },
    secrets: { ...connections.registry.secrets, PAYSYNC_SCHEMA_REGISTRY_PASSWORD: secret('paysync-registry', 'password') },
  },
  source: {
    settings: { ...connections.source.settings, PAYSYNC_COLUMN_HASH: 'public.accounts.owner' },
    secrets: { ...connections.source.secrets, PAYSYNC_COLUMN_HASH_KEY: secret('paysync-masking', 'hash-key') },
  },
  capture: { enabled: true, replicas: 2, settings: { PAYSYNC_MAX_IN_FLIGHT_BYTES: 8388608, PAYSYNC_TRANSACTION_TOPIC: true } },
  reconciler: {
    enabled: true,
    settings: { PAYSYNC_RECONCILE_INTERVAL_MS: 300000, PAYSYNC_RECONCILE_REPAIR: true },
    secrets: { PAYSYNC_ADMIN_TOKEN: secret('paysync-reconciler', 'admin-token'), PAYSYNC_RECONCILE_WEBHOOK_URL: secret('paysync-reconciler', 'webhook-url') },
  },
  drill: {
    enabled: true,
    tables: ['public.accounts', 'public.transfers'],
    scratchDatabase: { url: secret('paysync-drill', 'scratch-url'), createDatabase: true },
    pushgatewayUrl: secret('paysync-drill', 'pushgateway-url'),
    settings: { PAYSYNC_GROUP_ID: 'paysync-drill-weekly', PAYSYNC_RECONCILE_MAX_ROWS_PER_SECOND: 50000 },
  },
  podMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
  networkPolicy: {
    enabled: true,
    ingressFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    egress: [{ to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ port: 5432 }, { port: 9093 }, { port: 8081 }, { port: 3306 }] }],
  },
};

export const VALUE_SETS: Record<string, object> = {
  'the defaults': {},
  'capture only': CAPTURE_ONLY,
  'apply to two targets': APPLY_TO_TWO_TARGETS,
  'everything on': EVERYTHING_ON,
};
