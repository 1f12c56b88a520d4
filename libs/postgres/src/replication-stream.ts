import type { Client } from 'pg';
import { PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { lsnToBigInt } from './lsn';
import { rawText } from './pool';
import { postgresTarget } from './postgres-access';
import { ReplicationConnection } from './replication-connection';
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
  /** The server's keepalive; answer with the LSN that is safe to confirm (never more). A rejection reaches onError. */
  onKeepalive(serverLsn: string, replyRequested: boolean): Promise<void>;
  /** The server accepted START_REPLICATION: changes flow from here on. */
  onStreaming?(): void;
  onError(err: Error): void;
}

/**
 * A pgoutput replication stream that never confirms an LSN by itself: the only way an LSN is
 * confirmed is `confirm(lsn)`, called by whoever knows it is durable downstream. pgoutput is parsed
 * by pg-logical-replication's parser; the protocol around it (replication-connection.ts) is this
 * library's own, so that no timer of a library can confirm a position merely received, and so that
 * a message handled at once costs no promise. Flow control: the socket is paused while `onMessage`
 * waits, so a slow producer slows the reading instead of growing a buffer.
 */
export class ReplicationStream {
  private connection: ReplicationConnection<Pgoutput.Message> | undefined;
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
    const connection = new ReplicationConnection<Pgoutput.Message>(
      { connectionString: target.connectionString, ssl, application_name: this.options.applicationName, options: sessionOptions() + timeout, types: rawText },
      (body) => plugin.parse(body),
      {
        message: (lsn, message) => this.handlers?.onMessage(lsn, message),
        keepalive: (lsn, replyRequested) => void this.handlers?.onKeepalive(lsn, replyRequested).catch((err: Error) => this.handlers?.onError(err)),
        streaming: () => this.handlers?.onStreaming?.(),
        error: (err) => this.handlers?.onError(err),
      },
    );
    this.connection = connection;
    // START_REPLICATION's query settles when the stream ends: at stop() a terminated connection is the normal end.
    this.ended = connection
      .connect()
      .then((client) => plugin.start(client, this.options.slot, this.options.startLsn ?? '0/0'))
      .then(
        () => undefined,
        (err: unknown) => {
          if (this.stopped && /Connection\s+terminated/i.test(String(err))) return;
          throw err;
        },
      );
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
   * Exactly `lsn`, never `lsn + 1`: that would make the server skip a transaction whose commit
   * record starts exactly at a commit's end LSN (back-to-back commits).
   */
  async confirm(lsn: string, requestReply = false): Promise<void> {
    const exact = lsnToBigInt(lsn);
    if (exact === 0n) return;
    this.connection?.sendStatus(exact, requestReply);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.proceed?.(false);
    await this.connection?.stop();
  }
}
