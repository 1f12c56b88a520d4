import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SettingError } from '@paysync/config';
import { SchemaRegistryClient } from './schema-registry-client';

// A stand-in for the registry's HTTP endpoint: it records the headers it got and answers `status`.
let server: Server;
let seen: IncomingHttpHeaders[] = [];
let status = 200;
let base = '';
beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(request.headers);
    response.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end(status === 200 ? '[]' : '{"message":"no"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/apis/ccompat/v7`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  seen = [];
  status = 200;
});

describe('SchemaRegistryClient authentication', () => {
  it('sends basic auth from the settings, the URL keeping no credentials', async () => {
    await new SchemaRegistryClient({ schemaRegistryUrl: base, schemaRegistryUsername: 'capture', schemaRegistryPassword: 's3cret' }).checkAccess();
    expect(seen[0].authorization).toBe(`Basic ${Buffer.from('capture:s3cret').toString('base64')}`);
  });

  it('sends a bearer token', async () => {
    await new SchemaRegistryClient({ schemaRegistryUrl: base, schemaRegistryToken: 'tok-123' }).checkAccess();
    expect(seen[0].authorization).toBe('Bearer tok-123');
  });

  it('still takes basic auth from the URL\'s user info', async () => {
    await new SchemaRegistryClient(base.replace('http://', 'http://u:p@')).checkAccess();
    expect(seen[0].authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('stops on 401 with an error naming the settings and not the secret', async () => {
    status = 401;
    const failure = await new SchemaRegistryClient({ schemaRegistryUrl: base, schemaRegistryUsername: 'capture', schemaRegistryPassword: 's3cret' }).checkAccess().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(SettingError);
    expect((failure as Error).message).toMatch(/^PAYSYNC_SCHEMA_REGISTRY_USERNAME .* answered 401/);
    expect((failure as Error).message).not.toContain('s3cret');
  });
});
