// The package's HTTP layer (its own SchemaRegistry class caches parsed schemas without bound and
// parses them with its own avsc options; paysync needs neither).
import createRegistryApi, { type SchemaRegistryAPIClient } from '@kafkajs/confluent-schema-registry/dist/api';
import { connectionFailure, SettingError, tlsSettingError, UnreachableError, type Dependency } from '@paysync/config';
import { registryConnection, type RegistrySettings } from './registry-security';

/** The registry refused a schema as incompatible with what the subject already holds. */
export class IncompatibleSchemaError extends Error {
  constructor(readonly subject: string, detail: string) {
    super(`schema registry refused a new version of subject ${subject} as incompatible: ${detail}`);
    this.name = 'IncompatibleSchemaError';
  }
}

/** The registry has no schema with that id (a record written against another registry, or garbage). */
export class UnknownSchemaIdError extends Error {
  constructor(readonly schemaId: number) {
    super(`schema registry knows no schema with id ${schemaId}`);
    this.name = 'UnknownSchemaIdError';
  }
}

type Middleware = NonNullable<Parameters<typeof createRegistryApi>[0]['middlewares']>[number];

/** Gives every request a timeout (mappersmith's default is none). */
function timeoutAfter(ms: number): Middleware {
  return () => ({ prepareRequest: (next) => next().then((request) => request.enhance({ timeout: ms })) });
}

interface HttpError {
  status?: number;
  message?: string;
}

function statusOf(err: unknown): number | undefined {
  return (err as HttpError)?.status;
}

/** Where the registry is (host and port of its URL, never its credentials), for the line saying it does not answer. */
export function registryDependency(url: string): Dependency {
  const { hostname, port, protocol } = new URL(url);
  return { kind: 'registry', name: 'Schema registry', address: `${hostname}:${port || (protocol === 'https:' ? 443 : 80)}`, setting: 'PAYSYNC_SCHEMA_REGISTRY_URL' };
}

/**
 * How long one request may wait for the registry's answer. A registry that accepts connections and
 * answers nothing (stalled in a GC pause or a frozen VM, or gone without a reset) would otherwise
 * hold its caller with no end: a batch never retried, a start-up that never goes on.
 */
const REGISTRY_REQUEST_TIMEOUT_MS = 30_000;

/**
 * The one place that talks HTTP to the Confluent-compatible registry (Confluent, Apicurio's
 * ccompat API, Karapace). It registers Avro schemas and fetches them by id; parsing and caching of
 * schemas is the contract library's job, so this holds only the small subject+schema -> id memo.
 */
export class SchemaRegistryClient {
  private readonly api: SchemaRegistryAPIClient;
  private readonly registered = new Map<string, number>();

  private readonly host: string;

  /** A URL alone (user info as basic auth), or a command's registry settings (auth, token, CA). */
  constructor(urlOrSettings: string | RegistrySettings, requestTimeoutMs = REGISTRY_REQUEST_TIMEOUT_MS) {
    const { host, auth, agent, middlewares } = registryConnection(typeof urlOrSettings === 'string' ? { schemaRegistryUrl: urlOrSettings } : urlOrSettings);
    this.host = host;
    this.api = createRegistryApi({ host, auth, agent, middlewares: [...middlewares, timeoutAfter(requestTimeoutMs)], clientId: 'paysync', retry: { retries: 3 } });
  }

  get dependency(): Dependency {
    return registryDependency(this.host);
  }

  /**
   * Asks the registry for its subjects once before a service starts, so credentials or a
   * certificate it refuses stop the command with a SettingError naming the setting, instead of
   * failing the first schema registration later; a registry that does not answer throws an
   * UnreachableError, for the service to wait on. Other errors (a 503 while it starts) pass.
   */
  async checkAccess(): Promise<void> {
    try {
      await this.api.Subject.all({});
    } catch (err) {
      const status = statusOf(err);
      if (status === 401 || status === 403) {
        throw new SettingError(
          ['PAYSYNC_SCHEMA_REGISTRY_USERNAME', 'PAYSYNC_SCHEMA_REGISTRY_PASSWORD', 'PAYSYNC_SCHEMA_REGISTRY_TOKEN'],
          `the schema registry at ${this.host} answered ${status} (${status === 401 ? 'not authenticated' : 'not allowed'})`,
          'Check the basic-auth user and password or the bearer token it expects.',
        );
      }
      if (status === 404) {
        throw new SettingError(['PAYSYNC_SCHEMA_REGISTRY_URL'], `${this.host}/subjects answered 404: that is not the base of a Confluent-compatible registry API`, 'For Apicurio the base ends in /apis/ccompat/v7.');
      }
      if (status === 400 && /plain HTTP request was sent to HTTPS port/i.test((err as Error).message)) {
        throw new SettingError(['PAYSYNC_SCHEMA_REGISTRY_URL'], `${this.host} is an https endpoint`, 'Use https:// in the URL (and PAYSYNC_SCHEMA_REGISTRY_CA_FILE for a private CA).');
      }
      const otherEndpoint = { settings: ['PAYSYNC_SCHEMA_REGISTRY_URL'], fix: 'Use the host name its certificate names, and https only for a TLS endpoint.' };
      const tls = tlsSettingError(err, `the schema registry at ${this.host}`, {
        untrusted: { settings: ['PAYSYNC_SCHEMA_REGISTRY_CA_FILE'], fix: 'Set PAYSYNC_SCHEMA_REGISTRY_CA_FILE to the CA certificate that signed it.' },
        wrongHost: otherEndpoint,
        handshake: otherEndpoint,
      });
      if (tls) throw tls;
      const failure = connectionFailure(err);
      if (failure !== undefined) throw new UnreachableError(this.dependency, failure, err);
    }
  }

  /**
   * Registers `schema` under `subject` (a no-op returning the existing id when already there) and
   * returns its id. A subject's first version sets BACKWARD compatibility, so consumers with the
   * newest schema can always read older records.
   */
  async register(subject: string, schema: object): Promise<number> {
    const text = JSON.stringify(schema);
    const memoKey = `${subject}\n${text}`;
    const known = this.registered.get(memoKey);
    if (known !== undefined) return known;
    const isNewSubject = !(await this.subjectExists(subject));
    let id: number;
    try {
      const response = await this.api.Subject.register({ subject, body: { schemaType: 'AVRO', schema: text } });
      id = (response.data() as { id: number }).id;
    } catch (err) {
      if (statusOf(err) === 409) throw new IncompatibleSchemaError(subject, (err as Error).message);
      throw err;
    }
    if (isNewSubject) await this.requireBackwardCompatibility(subject);
    this.registered.set(memoKey, id);
    return id;
  }

  /** The schema with that id, as parsed JSON. */
  async fetchSchema(id: number): Promise<object> {
    try {
      const response = await this.api.Schema.find({ id });
      return JSON.parse((response.data() as { schema: string }).schema) as object;
    } catch (err) {
      if (statusOf(err) === 404) throw new UnknownSchemaIdError(id);
      throw err;
    }
  }

  private async requireBackwardCompatibility(subject: string): Promise<void> {
    try {
      await this.api.Subject.updateConfig({ subject, body: { compatibility: 'BACKWARD' } });
    } catch (err) {
      // Apicurio answers 409 when another writer created the subject's rule first: it is set, done.
      if (statusOf(err) !== 409) throw err;
    }
  }

  private async subjectExists(subject: string): Promise<boolean> {
    try {
      await this.api.Subject.latestVersion({ subject });
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }
}
