import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { bigIntToLsn, lsnToBigInt } from './lsn';
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
}

export interface ReplicationHandlers {
  /** Called once per message, in WAL order; the next message waits until the returned promise settles. */
  onMessage(lsn: string, message: Pgoutput.Message): Promise<void>;
  /** The server's keepalive; answer with the LSN that is safe to confirm (never more). */
  onKeepalive(serverLsn: string, replyRequested: boolean): Promise<void>;
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
  private stopped = false;

  constructor(private readonly options: ReplicationStreamOptions) {}

  /** Starts streaming; resolves when the stream ends (stop() or a lost connection, which rejects). */
  async start(handlers: ReplicationHandlers): Promise<void> {
    // TLS as libpq would negotiate it for this URL, like the pooled connections (libpq-url.ts).
    const target = postgresTarget(this.options.connectionString, this.options.setting);
    const ssl = await sslForConnection(target);
    if (this.stopped) return;
    this.service = new LogicalReplicationService(
      {
        connectionString: target.connectionString,
        ssl,
        application_name: this.options.applicationName,
        options: sessionOptions(),
      },
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
    );
    this.service.on('data', (lsn: string, message: Pgoutput.Message) => handlers.onMessage(lsn, message));
    this.service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => handlers.onKeepalive(lsn, shouldRespond));
    this.service.on('error', (err: Error) => handlers.onError(err));
    const plugin = new ExactTextPgoutputPlugin({ protoVersion: 1, publicationNames: [this.options.publication], messages: true });
    await (this.options.startLsn ? this.service.subscribe(plugin, this.options.slot, this.options.startLsn) : this.service.subscribe(plugin, this.options.slot));
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
    await this.service?.destroy();
  }
}
