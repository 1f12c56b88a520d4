import { Client, type ClientConfig } from 'pg';

/** XLogData ('w'): a WAL record's decoded output, after a 25-byte header. */
const XLOG_DATA = 0x77;
/** Primary keepalive ('k'): the server's WAL end, and whether it wants a status update now. */
const KEEPALIVE = 0x6b;
const XLOG_DATA_HEADER_BYTES = 25;
/** Milliseconds from 1970 to PostgreSQL's epoch, 2000-01-01. */
const PG_EPOCH_MS = 946_684_800_000;

export interface ReplicationEvents<M> {
  /** One decoded message, in WAL order; the next waits until a returned promise settles. */
  message(lsn: string, message: M): Promise<void> | undefined;
  keepalive(serverLsn: string, replyRequested: boolean): void;
  streaming(): void;
  error(err: Error): void;
}

/** What of pg's (untyped) Connection this uses. */
interface WireConnection {
  on(event: 'copyData', listener: (message: { chunk: Buffer }) => void): void;
  once(event: 'replicationStart', listener: () => void): void;
  stream?: { pause(): void; resume(): void; destroy(): void };
  sendCopyFromChunk(chunk: Buffer): void;
}

/** The LSN at `at` (two big-endian 32-bit halves) as PostgreSQL prints it. */
function lsnAt(chunk: Buffer, at: number): string {
  return `${chunk.readUInt32BE(at).toString(16).toUpperCase()}/${chunk.readUInt32BE(at + 4).toString(16).toUpperCase()}`;
}

/**
 * The streaming replication protocol on one pg connection (replication=database): CopyData in,
 * standby status updates out. The handler runs in the socket's own event for each message; only
 * when it returns a promise is the socket paused, and the messages already read wait in order
 * until it settles. A handler that takes a message at once costs no promise and no queue.
 */
export class ReplicationConnection<M> {
  private readonly client: Client;
  private readonly waiting: { lsn: string; message: M }[] = [];
  private busy = false;
  private stopped = false;

  constructor(
    config: ClientConfig,
    private readonly parse: (body: Buffer) => M,
    private readonly events: ReplicationEvents<M>,
  ) {
    this.client = new Client({ ...config, replication: 'database' } as ClientConfig);
    this.client.on('error', (err) => events.error(err));
  }

  /** pg's wire connection: the CopyData events and the socket that flow control pauses. */
  private get connection(): WireConnection {
    return (this.client as unknown as { connection: WireConnection }).connection;
  }

  async connect(): Promise<Client> {
    await this.client.connect();
    this.connection.once('replicationStart', () => this.events.streaming());
    this.connection.on('copyData', ({ chunk }) => this.onCopyData(chunk));
    return this.client;
  }

  private onCopyData(chunk: Buffer): void {
    if (this.stopped) return;
    if (chunk[0] === XLOG_DATA) {
      const lsn = lsnAt(chunk, 1);
      const message = this.parse(chunk.subarray(XLOG_DATA_HEADER_BYTES));
      if (this.busy) this.waiting.push({ lsn, message });
      else this.handle(lsn, message);
    } else if (chunk[0] === KEEPALIVE) {
      this.events.keepalive(lsnAt(chunk, 1), chunk[17] !== 0);
    }
  }

  private handle(lsn: string, message: M): void {
    let pending: Promise<void> | undefined;
    try {
      pending = this.events.message(lsn, message);
    } catch (err) {
      this.events.error(err as Error);
    }
    if (!pending) return;
    this.busy = true;
    this.connection.stream?.pause();
    const next = (): void => this.handleWaiting();
    pending.then(next, (err: Error) => {
      this.events.error(err);
      next();
    });
  }

  /** After a handler's promise settled: the messages read meanwhile, in order, then the socket again. */
  private handleWaiting(): void {
    this.busy = false;
    while (this.waiting.length > 0 && !this.stopped) {
      const { lsn, message } = this.waiting.shift() as { lsn: string; message: M };
      this.handle(lsn, message);
      if (this.busy) return;
    }
    if (!this.stopped) this.connection.stream?.resume();
  }

  /**
   * Reports `lsn` as written, flushed and applied: the server keeps the WAL from there on and, after
   * a restart, decodes from there. `requestReply` asks the server to answer at once.
   */
  sendStatus(lsnValue: bigint, requestReply: boolean): void {
    if (this.stopped) return;
    const status = Buffer.alloc(34);
    status[0] = 0x72; // 'r'
    for (const at of [1, 9, 17]) status.writeBigUInt64BE(lsnValue, at);
    status.writeBigInt64BE(BigInt(Date.now() - PG_EPOCH_MS) * 1000n, 25);
    status[33] = requestReply ? 1 : 0;
    this.connection.sendCopyFromChunk(status);
  }

  /**
   * Ends the connection. A paused socket never reports the server's close, so ending would wait
   * for ever: it is resumed (what arrives is dropped) and, failing that, destroyed after 5 s.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting.length = 0;
    const socket = this.connection?.stream;
    const ended = this.client.end().catch(() => undefined);
    socket?.resume();
    const late = await Promise.race([ended.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 5000).unref())]);
    if (late) socket?.destroy();
  }
}
