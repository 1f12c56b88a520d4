import { connect } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import type { PostgresTarget } from './libpq-url';

/** PostgreSQL's SSLRequest: length 8, code 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/**
 * Whether the server at host:port offers TLS: it answers an SSLRequest with 'S' (yes) or 'N' (no).
 * Unreachable servers count as offering it, so the real connection fails with the real error.
 */
export function serverOffersTls(host: string, port: number, timeoutMs = 10_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (offers: boolean): void => {
      socket.destroy();
      resolve(offers);
    };
    socket.setTimeout(timeoutMs, () => done(true));
    socket.once('error', () => done(true));
    socket.once('connect', () => socket.write(SSL_REQUEST));
    socket.once('data', (reply) => done(reply[0] !== 0x4e /* 'N' */));
  });
}

/** node-postgres's ssl option for one new connection to the target, as libpq would negotiate it. */
export async function sslForConnection(target: PostgresTarget): Promise<false | ConnectionOptions> {
  if (target.sslmode === 'disable') return false;
  if (target.sslmode === 'prefer' && !(await serverOffersTls(target.host, target.port))) return false;
  return target.tls;
}

type ConnectCallback = ((err: Error) => void) | ((err: null, client: pg.Client) => void);

/**
 * The client class of a pool. For prefer it asks the server first, per connection as libpq does,
 * and connects in plaintext when the server has no TLS (node-postgres alone would fail then).
 */
export function clientClassFor(target: PostgresTarget): typeof pg.Client {
  if (target.sslmode !== 'prefer') return pg.Client;
  class PreferTlsClient extends pg.Client {
    override connect(): Promise<pg.Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.Client> | void {
      const connected = sslForConnection(target).then((ssl) => {
        if (ssl === false) {
          // The Connection object was made with TLS on in the constructor: turn it off in both.
          const internals = this as unknown as { ssl: unknown; connection: { ssl: unknown } };
          internals.ssl = false;
          internals.connection.ssl = false;
        }
        return super.connect();
      });
      if (!callback) return connected;
      const reply = callback as (err: Error | null, client?: pg.Client) => void;
      connected.then((client) => reply(null, client), (err: Error) => reply(err));
    }
  }
  return PreferTlsClient;
}
