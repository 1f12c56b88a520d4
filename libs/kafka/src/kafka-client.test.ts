import { createServer } from 'node:net';
import type { UnreachableError } from '@paysync/config';
import { createKafka } from './kafka-client';

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('the Kafka client of a broker that does not answer', () => {
  it('logs kafkajs retry lines as debug only, and tells onUnreachable, naming the brokers setting', async () => {
    const port = await closedPort();
    const logged: Record<'error' | 'warn' | 'info' | 'debug', string[]> = { error: [], warn: [], info: [], debug: [] };
    const logger = {
      error: (_: object, msg: string) => void logged.error.push(msg),
      warn: (_: object, msg: string) => void logged.warn.push(msg),
      info: (_: object, msg: string) => void logged.info.push(msg),
      debug: (_: object, msg: string) => void logged.debug.push(msg),
    };
    const told: { unreachable: UnreachableError; retryInMs: number | undefined }[] = [];
    const kafka = createKafka({ brokers: [`127.0.0.1:${port}`], clientId: 'test', logger, retries: 1, onUnreachable: (unreachable, retryInMs) => void told.push({ unreachable, retryInMs }) });
    const admin = kafka.admin();
    await expect(admin.connect()).rejects.toThrow(/ECONNREFUSED/);
    await admin.disconnect();

    expect({ error: logged.error, warn: logged.warn }).toEqual({ error: [], warn: [] });
    expect(logged.debug.some((msg) => /Connection error: connect ECONNREFUSED/.test(msg))).toBe(true);
    expect(told.length).toBeGreaterThan(0);
    expect(told[0].unreachable.message).toBe(`Kafka unreachable at 127.0.0.1:${port} (PAYSYNC_KAFKA_BROKERS): connect ECONNREFUSED`);
    expect(told.some((t) => typeof t.retryInMs === 'number')).toBe(true);
  });
});
