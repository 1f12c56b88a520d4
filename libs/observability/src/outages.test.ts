import { Writable } from 'node:stream';
import { UnreachableError, type Dependency } from '@paysync/config';
import { createLogger } from './logger';
import { Outages, retryingIn } from './outages';

const kafka: Dependency = { kind: 'kafka', name: 'Kafka', address: '127.0.0.1:1', setting: 'PAYSYNC_KAFKA_BROKERS' };
const target: Dependency = { kind: 'postgres', name: 'PostgreSQL', address: 'replica:5432', setting: 'PAYSYNC_TARGET_URL' };

function outagesWithLog(): { outages: Outages; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => void (chunks.push(String(chunk)), done()) });
  const outages = new Outages(createLogger({ service: 'test', destination: stream }));
  return { outages, lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('Outages', () => {
  afterEach(() => jest.useRealTimers());

  it('logs one line per retry period however often a dependency fails, naming its address and setting', () => {
    jest.useFakeTimers({ now: 0 });
    const { outages, lines } = outagesWithLog();
    const refused = new UnreachableError(kafka, 'connect ECONNREFUSED');
    outages.report(refused, 200);
    outages.report(refused, 400);
    jest.setSystemTime(4900);
    outages.report(refused, undefined);
    jest.setSystemTime(5000);
    outages.report(refused, 8000);
    jest.setSystemTime(12_000);
    outages.report(refused, 8000);
    jest.setSystemTime(13_000);
    outages.report(refused, 8000);
    expect(lines().map((l) => [l.time, l.msg])).toEqual([
      [expect.any(String), 'Kafka unreachable at 127.0.0.1:1 (PAYSYNC_KAFKA_BROKERS): connect ECONNREFUSED; retrying in 0.2 s'],
      [expect.any(String), 'Kafka unreachable at 127.0.0.1:1 (PAYSYNC_KAFKA_BROKERS): connect ECONNREFUSED; retrying in 8 s'],
      [expect.any(String), 'Kafka unreachable at 127.0.0.1:1 (PAYSYNC_KAFKA_BROKERS): connect ECONNREFUSED; retrying in 8 s'],
    ]);
    expect(lines()[0]).toMatchObject({ level: 'error', dependency: 'kafka', address: '127.0.0.1:1', setting: 'PAYSYNC_KAFKA_BROKERS', failure: 'connect ECONNREFUSED' });
  });

  it('says what does not answer until it does again, each dependency on its own', () => {
    const { outages, lines } = outagesWithLog();
    outages.report(new UnreachableError(kafka, 'connect ECONNREFUSED'), 1000);
    outages.report(new UnreachableError(target, 'Connection terminated unexpectedly'), undefined);
    expect(outages.current).toEqual(['Kafka unreachable at 127.0.0.1:1 (PAYSYNC_KAFKA_BROKERS): connect ECONNREFUSED', 'PostgreSQL unreachable at replica:5432 (PAYSYNC_TARGET_URL): Connection terminated unexpectedly']);
    expect(outages.isDown(kafka)).toBe(true);
    // An answer to a request sent before the last failure (a fetch returning as the broker dies) says nothing.
    outages.recovered(kafka, Date.now() - 60_000);
    expect(outages.isDown(kafka)).toBe(true);
    outages.recovered(kafka, Date.now());
    outages.recovered(kafka, Date.now());
    expect(outages.isDown(kafka)).toBe(false);
    expect(outages.current).toEqual(['PostgreSQL unreachable at replica:5432 (PAYSYNC_TARGET_URL): Connection terminated unexpectedly']);
    expect(lines().map((l) => l.msg)).toEqual([
      'Kafka unreachable at 127.0.0.1:1 (PAYSYNC_KAFKA_BROKERS): connect ECONNREFUSED; retrying in 1 s',
      'PostgreSQL unreachable at replica:5432 (PAYSYNC_TARGET_URL): Connection terminated unexpectedly; retrying',
      'Kafka reachable again',
    ]);
  });

  it('words the wait in seconds', () => {
    expect([500, 1000, 2500, 5000, 12_400, 30_000].map(retryingIn)).toEqual(['retrying in 0.5 s', 'retrying in 1 s', 'retrying in 2.5 s', 'retrying in 5 s', 'retrying in 12 s', 'retrying in 30 s']);
  });
});
