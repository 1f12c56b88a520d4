import type { ConnectorSettings } from './kafka-connect';
import { stackAddresses } from './stack-addresses';

/** The stack's PostgreSQL server as Connect's connectors name it. */
function server(): { hostname: string; port: string; user: string; password: string } {
  const pg = new URL(stackAddresses().PAYSYNC_TEST_PG_URL);
  return { hostname: pg.hostname, port: pg.port, user: decodeURIComponent(pg.username), password: decodeURIComponent(pg.password) };
}

/** A connector of one task; `settings` last, so a caller's win. */
function connector(name: string, connectorClass: string, settings: Record<string, string | number>): ConnectorSettings {
  return { name, 'connector.class': connectorClass, 'tasks.max': 1, ...settings };
}

/**
 * Debezium's PostgreSQL connector (pgoutput) on `database` of the stack's server, writing
 * `<topicPrefix>.<schema>.<table>`; its publication `<slot>_pub` covers `tables` only.
 */
export function debeziumPostgresSource(
  options: { name: string; database: string; topicPrefix: string; slot: string; tables: string[] },
  settings: Record<string, string | number> = {},
): ConnectorSettings {
  const pg = server();
  return connector(options.name, 'io.debezium.connector.postgresql.PostgresConnector', {
    'database.hostname': pg.hostname,
    'database.port': pg.port,
    'database.user': pg.user,
    'database.password': pg.password,
    'database.dbname': options.database,
    'topic.prefix': options.topicPrefix,
    'plugin.name': 'pgoutput',
    'slot.name': options.slot,
    'publication.name': `${options.slot}_pub`,
    'publication.autocreate.mode': 'filtered',
    'table.include.list': options.tables.join(','),
    ...settings,
  });
}

/**
 * Debezium's JDBC sink writing `topics` into existing tables of `database` on the stack's server:
 * upserts keyed by the record key, deletes applied, no schema changes; `<prefix>.<schema>.<table>`
 * goes to the table of the topic's last part, in the target's public schema. `urlOptions`: the JDBC
 * URL's query (e.g. stringtype=unspecified).
 */
export function jdbcSink(
  options: { name: string; database: string; topics: string[]; urlOptions?: string },
  settings: Record<string, string | number> = {},
): ConnectorSettings {
  const pg = server();
  return connector(options.name, 'io.debezium.connector.jdbc.JdbcSinkConnector', {
    topics: options.topics.join(','),
    'connection.url': `jdbc:postgresql://${pg.hostname}:${pg.port}/${options.database}${options.urlOptions ? `?${options.urlOptions}` : ''}`,
    'connection.username': pg.user,
    'connection.password': pg.password,
    'insert.mode': 'upsert',
    'delete.enabled': 'true',
    'primary.key.mode': 'record_key',
    'schema.evolution': 'none',
    transforms: 'table',
    'transforms.table.type': 'org.apache.kafka.connect.transforms.RegexRouter',
    'transforms.table.regex': '.*\\.([^.]+)$',
    'transforms.table.replacement': '$1',
    'collection.name.format': '${topic}',
    ...settings,
  });
}
