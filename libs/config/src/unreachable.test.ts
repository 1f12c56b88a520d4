import { asUnreachable, connectionFailure, dependencyOf, UnreachableError, type Dependency } from './unreachable';

const kafka: Dependency = { kind: 'kafka', name: 'Kafka', address: 'kafka-1:9092,kafka-2:9093', setting: 'PAYSYNC_KAFKA_BROKERS' };
const registry: Dependency = { kind: 'registry', name: 'Schema registry', address: 'registry:443', setting: 'PAYSYNC_SCHEMA_REGISTRY_URL' };
const source: Dependency = { kind: 'postgres', name: 'PostgreSQL', address: '10.0.0.5:5432', setting: 'PAYSYNC_SOURCE_URL' };
const target: Dependency = { kind: 'postgres', name: 'PostgreSQL', address: '10.0.0.6:5432', setting: 'PAYSYNC_TARGET_URL' };
const mariadb: Dependency = { kind: 'mysql', name: 'MariaDB/MySQL', address: 'reporting:3306', setting: 'PAYSYNC_TARGET_URL' };

/** Node's error of a refused connect, as pg, mysql2 and fetch pass it on. */
const refused = (address: string, port: number) => Object.assign(new Error(`connect ECONNREFUSED ${address}:${port}`), { code: 'ECONNREFUSED', address, port });

describe('connectionFailure', () => {
  it('says in a few words how a server could not be reached, however the driver wraps it', () => {
    expect(connectionFailure(refused('10.0.0.5', 5432))).toBe('connect ECONNREFUSED');
    // kafkajs: its own error, the socket error's words in the message, wrapped again once it gave up.
    const kafkajs = Object.assign(new Error('Connection error: connect ECONNREFUSED 10.0.0.9:9092'), { name: 'KafkaJSConnectionError', broker: '10.0.0.9:9092' });
    expect(connectionFailure(Object.assign(new Error('retries exceeded', { cause: kafkajs }), { name: 'KafkaJSNumberOfRetriesExceeded' }))).toBe('connect ECONNREFUSED');
    // The registry's HTTP layer keeps Node's message only.
    expect(connectionFailure(Object.assign(new Error('paysync - Error, status 400: getaddrinfo ENOTFOUND registry'), { name: 'ResponseError' }))).toBe('getaddrinfo ENOTFOUND');
    expect(connectionFailure(Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' }))).toBe('Connection lost');
    expect(connectionFailure(new Error('Connection terminated unexpectedly'))).toBe('Connection terminated unexpectedly');
    expect(connectionFailure(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }))).toBe('ETIMEDOUT');
  });

  it('is undefined for errors of a server that answered, and for bugs', () => {
    expect(connectionFailure(Object.assign(new Error('password authentication failed for user "paysync"'), { code: '28P01', severity: 'FATAL' }))).toBeUndefined();
    expect(connectionFailure(new TypeError("Cannot read properties of undefined (reading 'rows')"))).toBeUndefined();
    expect(connectionFailure(undefined)).toBeUndefined();
  });
});

describe('dependencyOf', () => {
  it('tells the system by the address the error names, then by the port alone', () => {
    expect(dependencyOf(refused('10.0.0.6', 5432), [source, target])).toBe(target);
    expect(dependencyOf(new Error('fetch failed', { cause: refused('192.0.2.1', 443) }), [source, kafka, registry])).toBe(registry);
    expect(dependencyOf(new Error('Connection error: connect ECONNREFUSED 192.0.2.7:9093'), [source, kafka, registry])).toBe(kafka);
    expect(dependencyOf(Object.assign(new Error('Connection timeout'), { broker: 'kafka-2:9093' }), [target, kafka])).toBe(kafka);
  });

  it('tells it by its driver when the error names no address', () => {
    expect(dependencyOf(Object.assign(new Error('Closed connection'), { name: 'KafkaJSConnectionClosedError' }), [target, registry, kafka])).toBe(kafka);
    expect(dependencyOf(new Error('Connection terminated unexpectedly'), [kafka, registry, target])).toBe(target);
    expect(dependencyOf(Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST' }), [kafka, registry, mariadb])).toBe(mariadb);
    expect(dependencyOf(Object.assign(new Error('status 400: socket hang up'), { name: 'ResponseError' }), [target, kafka, registry])).toBe(registry);
    expect(dependencyOf(new TypeError('x is undefined'), [target, kafka, registry])).toBeUndefined();
  });
});

describe('asUnreachable', () => {
  it('is the sentence naming the system, its address and the setting to check', () => {
    const unreachable = asUnreachable(refused('10.0.0.6', 5432), [kafka, target]);
    expect(unreachable).toBeInstanceOf(UnreachableError);
    expect(unreachable?.message).toBe('PostgreSQL unreachable at 10.0.0.6:5432 (PAYSYNC_TARGET_URL): connect ECONNREFUSED');
    expect(unreachable?.dependency).toBe(target);
  });

  it('is undefined for an error that is no connection failure, or of no system given', () => {
    expect(asUnreachable(Object.assign(new Error('deadlock detected'), { code: '40P01', severity: 'ERROR' }), [target])).toBeUndefined();
    expect(asUnreachable(refused('192.0.2.1', 6379), [target])).toBeUndefined();
  });
});
