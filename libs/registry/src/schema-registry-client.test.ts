import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SchemaRegistryClient } from './schema-registry-client';

// A registry that stalled: it accepts connections and never answers (as a SIGSTOPped one does).
let server: Server;
const sockets: Socket[] = [];
let base = '';
beforeAll(async () => {
  server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/apis/ccompat/v7`;
});
afterAll(() => {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(resolve));
});

describe('SchemaRegistryClient against a registry that answers nothing', () => {
  it('fails a request after its timeout instead of waiting for ever, so the caller retries it', async () => {
    const started = Date.now();
    const failure = await new SchemaRegistryClient(base, 300).fetchSchema(1).catch((err: unknown) => err);
    expect((failure as Error).message).toMatch(/timeout/i);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
