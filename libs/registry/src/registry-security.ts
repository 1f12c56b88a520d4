import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import type { Agent as HttpAgent } from 'node:http';
import type { SchemaRegistryAPIClientArgs } from '@kafkajs/confluent-schema-registry/dist/api';

type Middleware = NonNullable<SchemaRegistryAPIClientArgs['middlewares']>[number];
type Authorization = NonNullable<SchemaRegistryAPIClientArgs['auth']>;

/** The registry settings of a command (libs/config kafkaSettings), as this module reads them. */
export interface RegistrySettings {
  schemaRegistryUrl: string;
  schemaRegistryUsername?: string;
  schemaRegistryPassword?: string;
  schemaRegistryToken?: string;
  schemaRegistryCaFile?: string;
}

export interface RegistryConnection {
  /** The URL without credentials (they go in a header, never in a logged URL). */
  host: string;
  auth?: Authorization;
  agent?: HttpAgent;
  middlewares: Middleware[];
}

/** Sends the bearer token on every request. */
function bearerToken(token: string): Middleware {
  return () => ({
    prepareRequest: (next) => next().then((request) => request.enhance({ headers: { authorization: `Bearer ${token}` } })),
  });
}

/**
 * How to reach the registry: basic auth from the settings (or, as before, from the URL's user
 * info), or a bearer token; for https, the CA file's certificates instead of the system's.
 */
export function registryConnection(settings: RegistrySettings): RegistryConnection {
  const parsed = new URL(settings.schemaRegistryUrl);
  const fromUrl = parsed.username ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } : undefined;
  parsed.username = '';
  parsed.password = '';
  const username = settings.schemaRegistryUsername;
  const auth = username !== undefined ? { username, password: settings.schemaRegistryPassword ?? '' } : fromUrl;
  const agent = parsed.protocol === 'https:' && settings.schemaRegistryCaFile ? new Agent({ ca: readFileSync(settings.schemaRegistryCaFile, 'utf8'), keepAlive: true }) : undefined;
  return {
    host: parsed.toString().replace(/\/$/, ''),
    auth,
    agent: agent as unknown as HttpAgent | undefined,
    middlewares: settings.schemaRegistryToken ? [bearerToken(settings.schemaRegistryToken)] : [],
  };
}
