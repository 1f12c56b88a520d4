import { createServer, type AddressInfo, type Server } from 'node:net';
import { parsePostgresUrl } from './libpq-url';
import { serverOffersTls, sslForConnection } from './tls-negotiation';

/** A stand-in for a server's answer to SSLRequest: one byte, 'S' or 'N'. */
async function answering(reply: string): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => socket.once('data', () => socket.end(reply)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

describe('sslmode=prefer negotiates per connection, as libpq does', () => {
  it('uses TLS when the server answers S, plaintext when it answers N', async () => {
    const yes = await answering('S');
    const no = await answering('N');
    try {
      expect(await serverOffersTls('127.0.0.1', yes.port)).toBe(true);
      expect(await serverOffersTls('127.0.0.1', no.port)).toBe(false);
      expect(await sslForConnection(parsePostgresUrl(`postgres://u@127.0.0.1:${yes.port}/db`))).toMatchObject({ rejectUnauthorized: false });
      expect(await sslForConnection(parsePostgresUrl(`postgres://u@127.0.0.1:${no.port}/db`))).toBe(false);
      // require never falls back: the connection then fails as libpq's does.
      expect(await sslForConnection(parsePostgresUrl(`postgres://u@127.0.0.1:${no.port}/db?sslmode=require`))).toMatchObject({ rejectUnauthorized: false });
    } finally {
      yes.server.close();
      no.server.close();
    }
  });
});
