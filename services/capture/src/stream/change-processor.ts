import {
  COMMIT_MARKER_HEADER,
  isApplyOrigin,
  parseRereadRequest,
  REREAD_REQUEST_PREFIX,
  SNAPSHOT_REQUEST_PREFIX,
  type ChangeEnvelope,
  type RereadRequest,
} from '@paysync/contract';
import type { Message } from '@paysync/kafka';
import { lsnToBigInt, lsnToDecimal, type Pgoutput, type RawTuple } from '@paysync/postgres';
import type { ChunkRow, WatermarkWindows } from '../snapshot/watermark-windows';
import { WATERMARK_PREFIX } from '../snapshot/watermark-snapshotter';
import type { KafkaSink } from './kafka-sink';
import type { LsnAcknowledger } from './lsn-acknowledger';
import { changeEnvelope, tombstone, type EventOrigin, type EventVersion } from './event-envelope';
import { completedFrom, decodeTuple, keyOf, keyText, type TableCodec, type TableCodecs } from './table-codecs';
import type { TableShape } from '@paysync/contract';

export const HEARTBEAT_PREFIX = 'paysync.heartbeat';

/** Where each processed event is counted; the capture metrics implement it. */
export interface ProcessorListener {
  event(table: string, op: ChangeEnvelope['op']): void;
  committed(commitTimeMs: number): void;
  heartbeat(emittedAtMs: number): void;
  schemaChanged(table: string): void;
  skippedAppliedChange(table: string): void;
}

interface Transaction {
  lsn: bigint;
  xid: bigint;
  /** PostgreSQL's commit time, in microseconds since 1970. */
  commitTimeUs: bigint;
  seq: bigint;
  /** Events of each table so far: Debezium's data_collection_order. */
  perTable: Map<string, bigint>;
  /** Debezium's transaction id, "<xid>:<commit LSN>". */
  id: string;
  /** paysync apply wrote it and PAYSYNC_SKIP_APPLIED_CHANGES is on: its changes emit nothing. */
  skipped: boolean;
}

/** Builds the shape of a relation from its pgoutput Relation message (the schema as of that point in the WAL). */
export type RelationShapes = (relation: Pgoutput.MessageRelation) => Promise<TableShape>;

/**
 * Turns the pgoutput stream into Kafka records, in WAL order: row changes of each transaction with
 * version (commit LSN, sequence), tombstones after deletes, truncates to every partition, schema
 * versions after DDL, snapshot chunks at their high watermark. After each commit or heartbeat it
 * places a mark in the sink, which reaches the acknowledger only once Kafka holds all before it;
 * a skipped transaction (PAYSYNC_SKIP_APPLIED_CHANGES) too, so the slot advances past it.
 */
export class ChangeProcessor {
  private tx: Transaction | undefined;
  private readonly codecByRelation = new Map<number, TableCodec>();
  /** Changes copied to the transaction topic since its last commit marker. */
  private unmarkedChanges = 0;
  /** The commit LSN of the last transaction seen, as source.sequence's JSON shows it first: null or a quoted decimal. */
  private lastCommitInSequence = 'null';
  /** The WAL position of the message being processed (parsed only for the row changes that carry it). */
  private eventLsn = '0/0';

  constructor(
    private readonly origin: EventOrigin,
    private readonly codecs: TableCodecs,
    private readonly relationShapes: RelationShapes,
    private readonly sink: KafkaSink<() => void>,
    private readonly acknowledger: LsnAcknowledger,
    private readonly windows: WatermarkWindows,
    private readonly listener: ProcessorListener,
    /** The transaction-ordered topic, when capture writes one (PAYSYNC_TRANSACTION_TOPIC). */
    private readonly transactionTopic?: string,
    /** The reconciler asked for keys to be re-read (or wrote something that is not a request). */
    private readonly onRereadRequest?: (request: RereadRequest | Error) => void,
    /** `paysync snapshot` wrote a request: the message's content, its id. */
    private readonly onSnapshotRequest?: (content: string) => void,
    /** PAYSYNC_SKIP_APPLIED_CHANGES: drop the transactions paysync apply wrote (bidirectional sync's echo suppression). */
    private readonly skipAppliedChanges = false,
  ) {}

  /**
   * Handles one message. A row change the sink takes at once returns nothing: no promise, no
   * suspended async frame, which for every captured row was most of capture's garbage. A returned
   * promise (backpressure, a Relation, a commit, ...) must settle before the next message.
   */
  onMessage(lsn: string, message: Pgoutput.Message): Promise<void> | undefined {
    this.eventLsn = lsn;
    switch (message.tag) {
      case 'begin': {
        const commitLsn = lsnToBigInt(message.commitLsn ?? lsn);
        const xid = BigInt(message.xid);
        this.tx = { lsn: commitLsn, xid, commitTimeUs: BigInt(message.commitTime.toString()), seq: 0n, perTable: new Map(), id: `${xid}:${commitLsn}`, skipped: false };
        return;
      }
      case 'origin':
        // Only paysync's own origins: PostgreSQL subscriptions' (pg_<oid>) and other tools' stay captured.
        if (this.tx && this.skipAppliedChanges && isApplyOrigin(message.originName)) this.tx.skipped = true;
        return;
      case 'relation':
        return this.onRelation(message);
      case 'insert':
        return this.onRowChange(message.relation.relationOid, null, message.new, 'c');
      case 'update':
        return this.onUpdate(message);
      case 'delete':
        return this.onRowChange(message.relation.relationOid, message.old ?? message.key, null, 'd');
      case 'truncate':
        return this.onTruncates(message.relations);
      case 'commit':
        return this.onCommit(message.commitEndLsn ?? lsn);
      case 'message':
        return this.onLogicalMessage(lsn, message);
      default:
        return; // type: nothing to emit
    }
  }

  private async onCommit(end: string): Promise<void> {
    const commitTimeMs = Number((this.tx?.commitTimeUs ?? 0n) / 1000n);
    const commitLsn = this.tx?.lsn ?? lsnToBigInt(end);
    await this.markCommit(commitLsn);
    this.lastCommitInSequence = `"${commitLsn}"`;
    this.tx = undefined;
    this.sink.mark(() => this.acknowledger.safeUpTo(end));
    this.listener.committed(commitTimeMs);
  }

  private async onRelation(message: Pgoutput.MessageRelation): Promise<void> {
    const { codec, changed } = await this.codecs.forShape(await this.relationShapes(message));
    this.codecByRelation.set(message.relationOid, codec);
    if (changed) this.listener.schemaChanged(codec.table);
  }

  private codecOf(relationOid: number): TableCodec {
    const codec = this.codecByRelation.get(relationOid);
    if (!codec) throw new Error(`change for relation ${relationOid} arrived before its Relation message`);
    return codec;
  }

  private nextVersion(table: string): EventVersion {
    const tx = this.tx;
    if (!tx) throw new Error('row change outside a transaction');
    const inTable = (tx.perTable.get(table) ?? 0n) + 1n;
    tx.perTable.set(table, inTable);
    const version: EventVersion = {
      lsn: tx.lsn,
      seq: tx.seq,
      txId: tx.xid,
      tsUs: tx.commitTimeUs,
      // JSON.stringify's output for two decimal strings, without building the array.
      sequence: `[${this.lastCommitInSequence},"${lsnToDecimal(this.eventLsn)}"]`,
      transaction: { id: tx.id, total_order: tx.seq + 1n, data_collection_order: inTable },
    };
    tx.seq += 1n;
    return version;
  }

  private onUpdate(message: Pgoutput.MessageUpdate): Promise<void> | undefined {
    const codec = this.codecOf(message.relation.relationOid);
    const oldKeySource = message.key ?? message.old;
    if (oldKeySource && keyText(codec, oldKeySource) !== keyText(codec, message.new)) return this.onKeyChange(message);
    return this.onRowChange(message.relation.relationOid, message.old, message.new, 'u');
  }

  /** The primary key changed: to a keyed topic that is a delete of the old key and a create of the new. */
  private async onKeyChange(message: Pgoutput.MessageUpdate): Promise<void> {
    await this.onRowChange(message.relation.relationOid, message.old ?? message.key, null, 'd');
    await this.onRowChange(message.relation.relationOid, null, message.new, 'c');
  }

  private onRowChange(relationOid: number, before: RawTuple | null, after: RawTuple | null, op: 'c' | 'u' | 'd'): Promise<void> | undefined {
    const codec = this.codecOf(relationOid);
    const keySource = (after ?? before) as RawTuple;
    if (this.windows.watching(codec.table)) this.windows.touched(codec.table, keyText(codec, keySource));
    if (this.tx?.skipped) {
      this.listener.skippedAppliedChange(codec.table);
      return undefined;
    }
    const decodedBefore = before ? decodeTuple(codec, before) : null;
    const decodedAfter = after ? completedFrom(decodeTuple(codec, after), decodedBefore) : null;
    const version = this.nextVersion(codec.table);
    const envelope = changeEnvelope(this.origin, codec, op, decodedBefore?.row ?? null, decodedAfter?.row ?? null, version);
    envelope.unchanged_toast = decodedAfter?.unchanged ?? [];
    const { key, partition } = keyOf(codec, keySource);
    const emitted = this.emit(codec.topic, { key, value: codec.encodeValue(envelope), partition });
    if (emitted || op === 'd') return this.finishRowChange(emitted, codec, op, key, partition, version);
    this.listener.event(codec.table, op);
    return undefined;
  }

  /** The rest of a row change that waits: for the sink's backpressure, or for a delete's tombstone. */
  private async finishRowChange(emitted: Promise<void> | undefined, codec: TableCodec, op: 'c' | 'u' | 'd', key: Buffer, partition: number, version: EventVersion): Promise<void> {
    await emitted;
    if (op === 'd') await this.sink.push(codec.topic, tombstone(codec, key, partition, version));
    this.listener.event(codec.table, op);
  }

  private async onTruncates(relations: Pgoutput.MessageTruncate['relations']): Promise<void> {
    for (const relation of relations) await this.onTruncate(relation.relationOid);
  }

  private async onTruncate(relationOid: number): Promise<void> {
    const codec = this.codecOf(relationOid);
    this.windows.truncated(codec.table);
    if (this.tx?.skipped) return this.listener.skippedAppliedChange(codec.table);
    const value = codec.encodeValue(changeEnvelope(this.origin, codec, 't', null, null, this.nextVersion(codec.table)));
    // Every partition gets it, so each partition's consumer sees it in order with that partition's keys.
    const messages: Message[] = Array.from({ length: codec.partitions }, (_, partition) => ({ key: codec.truncateKey, value, partition }));
    for (const message of messages) await this.sink.push(codec.topic, message);
    await this.copyToTransactionTopic({ key: null, value });
    this.listener.event(codec.table, 't');
  }

  private async onLogicalMessage(lsn: string, message: Pgoutput.MessageMessage): Promise<void> {
    if (message.prefix === HEARTBEAT_PREFIX) {
      this.sink.mark(() => this.acknowledger.safeUpTo(lsn));
      const emittedAt = Number(Buffer.from(message.content).toString('utf8'));
      if (Number.isFinite(emittedAt)) this.listener.heartbeat(emittedAt);
    } else if (message.prefix === REREAD_REQUEST_PREFIX) {
      // Served after this point in the stream; once confirmed past, a crash forgets it: the reconciler asks again on its next run.
      this.onRereadRequest?.(parseRereadRequest(Buffer.from(message.content).toString('utf8')));
      this.sink.mark(() => this.acknowledger.safeUpTo(lsn));
    } else if (message.prefix === SNAPSHOT_REQUEST_PREFIX) {
      // Transactional, so inside its transaction: the commit after it is the safe point. The request
      // row is the request; should a crash forget this message, capture finds the row when it streams again.
      this.onSnapshotRequest?.(Buffer.from(message.content).toString('utf8'));
    } else if (message.prefix === WATERMARK_PREFIX) {
      const { id, edge } = JSON.parse(Buffer.from(message.content).toString('utf8')) as { id: string; edge: 'low' | 'high' };
      if (edge === 'low') this.windows.lowWatermark(id);
      else await this.windows.highWatermark(id, lsn);
      // A watermark outside any transaction is, like a heartbeat, a safe point once all before it is in Kafka.
      this.sink.mark(() => this.acknowledger.safeUpTo(lsn));
    }
  }

  /**
   * Snapshot rows of one chunk: `op: r`, versioned just below the high watermark so any later change
   * wins; `absent` keys (asked by a re-read, not in the table) as deletes with their tombstones.
   */
  async emitSnapshotRows(codec: TableCodec, highWatermarkLsn: string, rows: ChunkRow[], absent: ChunkRow[] = []): Promise<void> {
    // A logical message's LSN is the END of its record, which is also the start (= the Begin's
    // commit LSN) of a commit record written right after it: a transaction that changed a chunk row
    // after the read and committed just after the high watermark would get (L, 0) and lose to the
    // stale copy's (L, seq>0). L - 1 is above every commit before the watermark (those start before
    // its record) and below every commit after it.
    const lsn = lsnToBigInt(highWatermarkLsn) - 1n;
    const tsUs = BigInt(Date.now()) * 1000n;
    let seq = 0n;
    for (const row of rows) {
      const decoded = decodeTuple(codec, row.raw);
      const envelope = changeEnvelope(this.origin, codec, 'r', null, decoded.row, { lsn, seq: seq++, txId: null, tsUs });
      const { key, partition } = keyOf(codec, row.raw);
      // Awaited only when the sink makes it wait: an await of nothing would still suspend, for every row.
      const emitted = this.emit(codec.topic, { key, value: codec.encodeValue(envelope), partition });
      if (emitted) await emitted;
      this.listener.event(codec.table, 'r');
    }
    for (const key of absent) {
      const version = { lsn, seq: seq++, txId: null, tsUs };
      const envelope = changeEnvelope(this.origin, codec, 'd', decodeTuple(codec, key.raw).row, null, version);
      const { key: encodedKey, partition } = keyOf(codec, key.raw);
      await this.emit(codec.topic, { key: encodedKey, value: codec.encodeValue(envelope), partition });
      await this.sink.push(codec.topic, tombstone(codec, encodedKey, partition, version));
      this.listener.event(codec.table, 'd');
    }
    // A snapshot chunk is applied atomically too, as if it were one transaction.
    await this.markCommit(lsn);
  }

  /** A change to its table topic and, when capture writes one, to the transaction topic; a promise only when the sink makes it wait. */
  private emit(topic: string, message: Message): Promise<void> | undefined {
    const pushed = this.sink.push(topic, message);
    if (!this.transactionTopic) return pushed;
    return pushed ? pushed.then(() => this.copyToTransactionTopic(message)) : this.copyToTransactionTopic(message);
  }

  private copyToTransactionTopic(message: Pick<Message, 'key' | 'value'>): Promise<void> | undefined {
    if (!this.transactionTopic) return undefined;
    this.unmarkedChanges += 1;
    return this.sink.push(this.transactionTopic, { key: message.key, value: message.value, partition: 0 });
  }

  /** Closes a transaction in the transaction topic (transactions without captured changes leave no marker). */
  private async markCommit(lsn: bigint): Promise<void> {
    if (!this.transactionTopic || this.unmarkedChanges === 0) return;
    this.unmarkedChanges = 0;
    await this.sink.push(this.transactionTopic, { key: null, value: null, partition: 0, headers: { [COMMIT_MARKER_HEADER]: lsn.toString() } });
  }

}
