// The package's HTTP layer (its own SchemaRegistry class caches parsed schemas without bound and
// parses them with its own avsc options; paysync needs neither).
import createRegistryApi, { type SchemaRegistryAPIClient } from '@kafkajs/confluent-schema-registry/dist/api';

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

interface HttpError {
  status?: number;
  message?: string;
}

function statusOf(err: unknown): number | undefined {
  return (err as HttpError)?.status;
}

/**
 * The one place that talks HTTP to the Confluent-compatible registry (Confluent, Apicurio's
 * ccompat API, Karapace). It registers Avro schemas and fetches them by id; parsing and caching of
 * schemas is the contract library's job, so this holds only the small subject+schema -> id memo.
 */
export class SchemaRegistryClient {
  private readonly api: SchemaRegistryAPIClient;
  private readonly registered = new Map<string, number>();

  constructor(url: string) {
    const parsed = new URL(url);
    const auth = parsed.username ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } : undefined;
    parsed.username = '';
    parsed.password = '';
    const host = parsed.toString().replace(/\/$/, '');
    this.api = createRegistryApi({ host, auth, clientId: 'paysync', retry: { retries: 3 } });
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
