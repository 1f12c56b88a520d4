import type { Client } from 'pg';
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { bigIntToLsn, lsnToBigInt } from './lsn';
import { rawText } from './pool';
import { postgresTarget } from './postgres-access';
import { sessionOptions } from './session-settings';
import { sslForConnection } from './tls-negotiation';

export type { Pgoutput };

/** Marks a column whose value pgoutput did not send because it is an unchanged TOASTed value. */
export const UNCHANGED_TOAST = Symbol('unchanged-toast');

/** Column values as PostgreSQL's text, null, or UNCHANGED_TOAST. */
export type RawTuple = Record<string, string | null | typeof UNCHANGED_TOAST>;

const identity = (text: string): string => text;

/**
 * pgoutput decoding that keeps every value as PostgreSQL's exact text. The stock plugin runs pg's
 * global type parsers (timestamptz -> Date loses microseconds, json -> object loses its text) and
 * reports an unchanged TOAST column as undefined; both are undone here, at parse time, so messages
 * queued behind a Relation message are decoded with the right parsers.
 */
class ExactTextPgoutputPlugin extends PgoutputPlugin {
  constructor(
    private readonly pluginOptions: ConstructorParameters<typeof PgoutputPlugin>[0],
    /** Runs on the connected replication session before START_REPLICATION is sent. */
    private readonly beforeStart: (client: Client) => Promise<void>,
    /** pgoutput's origin = 'none' (PostgreSQL 16+), which the library does not offer. */
    private readonly skipOrigins = false,
  ) {
    super(pluginOptions);
  }

  override async start(client: Client, slotName: string, lastLsn: string): Promise<unknown> {
    await this.beforeStart(client);
    if (!this.skipOrigins) return super.start(client, slotName, lastLsn);
    const { protoVersion, publicationNames, messages } = this.pluginOptions;
    return client.query(
      `START_REPLICATION SLOT "${slotName}" LOGICAL ${lastLsn} (proto_version '${protoVersion}', publication_names '${publicationNames.join(',')}', messages '${messages ?? false}', origin 'none')`,
    );
  }

  override parse(buffer: Buffer): Pgoutput.Message {
    const message = super.parse(buffer);
    if (message.tag === 'relation') {
      for (const column of message.columns) column.parser = identity;
    } else if (message.tag === 'insert' || message.tag === 'update' || message.tag === 'delete') {
      const tuples = message.tag === 'insert' ? [message.new] : message.tag === 'update' ? [message.new, message.old] : [message.old];
      for (const tuple of tuples) {
        if (!tuple) continue;
        for (const key of Object.keys(tuple)) if (tuple[key] === undefined) tuple[key] = UNCHANGED_TOAST;
      }
    }
    return message;
  }
}

export interface ReplicationStreamOptions {
  connectionString: string;
  slot: string;
  publication: string;
  applicationName: string;
  /** The setting the URL came from, named in errors (default PAYSYNC_SOURCE_URL). */
  setting?: string;
  /** Where to start; the server starts at the slot's confirmed LSN when this is lower. */
  startLsn?: string;
  /** The source's wal_sender_timeout for this connection (ms); unset keeps the server's. */
  walSenderTimeoutMs?: number;
  /**
   * PostgreSQL 16+: the server leaves out every transaction that carries a replication origin
   * (pgoutput's origin = 'none'), before decoding it for this stream.
   */
  skipOrigins?: boolean;
}

/** The replication connection before it streams: plain SQL (simple protocol, no parameters) runs on it. */
export interface ReplicationSession {
  query(sql: string): Promise<Record<string, string | null>[]>;
}

export interface ReplicationHandlers {
  /** Called once per message, in WAL order; the next message waits until a returned promise settles. */
  onMessage(lsn: string, message: Pgoutput.Message): Promise<void> | undefined;
  /** The server's keepalive; answer with the LSN that is safe to confirm (never more). */
  onKeepalive(serverLsn: string, replyRequested: boolean): Promise<void>;
  /** The server accepted START_REPLICATION: changes flow from here on. */
  onStreaming?(): void;
  onError(err: Error): void;
}

/**
 * A pgoutput replication stream that never confirms an LSN by itself.
 *
 * The library's timer would acknowledge the last *received* LSN every `timeoutSeconds` even with
 * `auto: false`; that could confirm changes Kafka never acknowledged. Both are off here, and the
 * only way an LSN is confirmed is `confirm(lsn)`, called by whoever knows it is durable downstream.
 * Flow control is on: the socket is paused while `onMessage` works, so a slow producer slows the
 * reading instead of growing a buffer.
 */
export class ReplicationStream {
  private service: LogicalReplicationService | undefined;
  private handlers: ReplicationHandlers | undefined;
  private ended: Promise<void> | undefined;
  private proceed: ((go: boolean) => void) | undefined;
  private stopped = false;

  constructor(private readonly options: ReplicationStreamOptions) {}

  /**
   * Connects, and stops before streaming: what runs on the returned session (an advisory lock, say)
   * belongs to the very connection that then streams, and ends with it.
   */
  async open(): Promise<ReplicationSession> {
    // TLS as libpq would negotiate it for this URL, like the pooled connections (libpq-url.ts).
    const target = postgresTarget(this.options.connectionString, this.options.setting);
    const ssl = await sslForConnection(target);
    if (this.stopped) throw new Error('the replication stream was stopped before it opened');
    const timeout = this.options.walSenderTimeoutMs ? ` -c wal_sender_timeout=${this.options.walSenderTimeoutMs}ms` : '';
    const service = new LogicalReplicationService(
      { connectionString: target.connectionString, ssl, application_name: this.options.applicationName, options: sessionOptions() + timeout, types: rawText },
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
    );
    this.service = service;
    service.on('data', (lsn: string, message: Pgoutput.Message) => this.handlers?.onMessage(lsn, message));
    service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => this.handlers?.onKeepalive(lsn, shouldRespond));
    service.on('start', () => this.handlers?.onStreaming?.());
    // Before start() an error also ends the subscription below, which is how the caller learns of it.
    service.on('error', (err: Error) => this.handlers?.onError(err));
    const go = new Promise<boolean>((resolve) => (this.proceed = resolve));
    let opened!: (client: Client) => void;
    const session = new Promise<Client>((resolve) => (opened = resolve));
    const plugin = new ExactTextPgoutputPlugin(
      { protoVersion: 1, publicationNames: [this.options.publication], messages: true },
      async (client) => {
        opened(client);
        if (!(await go)) throw new Error('the replication stream was stopped before it started');
      },
      this.options.skipOrigins,
    );
    const ended = this.options.startLsn ? service.subscribe(plugin, this.options.slot, this.options.startLsn) : service.subscribe(plugin, this.options.slot);
    this.ended = ended.then(() => undefined);
    // Handled here, awaited by start(): a connection lost between open() and start() is not an unhandled rejection.
    this.ended.catch(() => undefined);
    const client = await Promise.race([session, this.ended.then(() => Promise.reject(new Error('the replication connection ended before it opened')))]);
    return { query: async (sql) => (await client.query<Record<string, string | null>>(sql)).rows };
  }

  /** Starts streaming (opening first if open() was not called); resolves when the stream ends (stop() or a lost connection, which rejects). */
  async start(handlers: ReplicationHandlers): Promise<void> {
    if (!this.ended) await this.open();
    this.handlers = handlers;
    this.proceed?.(true);
    return this.ended;
  }

  /**
   * Tells the server that everything before `lsn` is durable downstream; pass a commit's end LSN
   * (or a logical message's LSN). The server resumes decoding at exactly this position.
   *
   * The library reports `lsn + 1` as flushed. Reporting a commit's end LSN + 1 would make the server
   * skip a transaction whose commit record starts exactly at that end LSN (back-to-back commits),
   * so the LSN is lowered by one here to report exactly `lsn`.
   */
  async confirm(lsn: string, requestReply = false): Promise<void> {
    const exact = lsnToBigInt(lsn);
    if (exact === 0n) return;
    await this.service?.acknowledge(bigIntToLsn(exact - 1n), requestReply);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.proceed?.(false);
    // Flow control may have paused the socket, and a paused socket never reports the server's close:
    // ending the client would wait for it forever. The socket is resumed and, failing that, destroyed.
    const socket = (this.service as unknown as { _connection?: { stream?: { resume?: () => void; destroy?: () => void } } } | undefined)?._connection?.stream;
    const ended = this.service?.destroy(); // marks the service stopped first: resumed data is dropped
    socket?.resume?.();
    const late = await Promise.race([ended?.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 5000).unref())]);
    if (late) socket?.destroy?.();
  }
}
