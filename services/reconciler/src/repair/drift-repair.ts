import { avroSchemasFor, keySubject, partitionOf, rowFromPgText, topicName, valueSubject, type ChangeEnvelope, type RegistrySerde, type TableShape } from '@paysync/contract';
import { partitionCount, sendAcked, type Kafka, type Message, type Producer } from '@paysync/kafka';
import { lsnToBigInt, qualifiedName, quoteIdent, type Pool } from '@paysync/postgres';
import type { Key } from '../sides/side';

const CONNECTOR = 'paysync-reconciler';

/**
 * Repairs drift through Kafka, so apply stays the only writer of a target: each drifted key's
 * current source row (or its deletion) is published to the table topic as a snapshot event. Its
 * version is the source LSN taken before waiting for every transaction older than a fresh xid, and
 * only then reading: every change below that LSN is in the read, and a later change still wins.
 */
export class DriftRepair {
  constructor(
    private readonly source: Pool,
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    private readonly serde: RegistrySerde,
    private readonly topicPrefix: string,
  ) {}

  async repair(shape: TableShape, keys: Key[]): Promise<number> {
    if (keys.length === 0) return 0;
    const topic = topicName(this.topicPrefix, shape.schema, shape.table);
    const schemas = avroSchemasFor(shape, this.topicPrefix);
    const [keyEncoder, valueEncoder, partitions] = await Promise.all([
      this.serde.encoderFor(keySubject(topic), schemas.key),
      this.serde.encoderFor(valueSubject(topic), schemas.value),
      partitionCount(this.kafka, topic),
    ]);
    const fence = await this.fence();
    const rows = await this.readRows(shape, keys);
    const keyShape = { ...shape, columns: shape.primaryKey.map((k) => shape.columns.find((c) => c.name === k)!) };
    const database = (await this.source.query<{ db: string }>('SELECT current_database() AS db')).rows[0].db;
    const messages: Message[] = [];
    keys.forEach((key, seq) => {
      const keyRaw = Object.fromEntries(shape.primaryKey.map((k, i) => [k, key[i]]));
      const raw = rows.get(JSON.stringify(key));
      const envelope: ChangeEnvelope = {
        before: raw ? null : rowFromPgText(shape, keyRaw),
        after: raw ? rowFromPgText(shape, raw) : null,
        op: raw ? 'r' : 'd',
        source: { version: '0.1.0', connector: CONNECTOR, db: database, schema: shape.schema, table: shape.table, lsn: fence, seq: BigInt(seq), txId: null, ts_ms: BigInt(Date.now()), snapshot: true },
        ts_ms: BigInt(Date.now()),
        unchanged_toast: [],
      };
      const encodedKey = keyEncoder.encode(rowFromPgText(keyShape, keyRaw));
      const partition = partitionOf(JSON.stringify(key), partitions);
      messages.push({ key: encodedKey, value: valueEncoder.encode(envelope), partition });
      if (!raw) messages.push({ key: encodedKey, value: null, partition });
    });
    await sendAcked(this.producer, [{ topic, messages }]);
    return keys.length;
  }

  /** The version of the repair events (see the class comment): LSN first, then wait for older transactions. */
  private async fence(): Promise<bigint> {
    const { rows } = await this.source.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const lsn = lsnToBigInt(rows[0].lsn);
    const { rows: xid } = await this.source.query<{ xid: string }>('SELECT txid_current()::text AS xid');
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows: done } = await this.source.query<{ done: boolean | string }>('SELECT txid_snapshot_xmin(txid_current_snapshot()) > $1::bigint AS done', [xid[0].xid]);
      if (done[0].done === true || done[0].done === 't') return lsn;
      if (Date.now() > deadline) throw new Error('repair: transactions older than the fence are still running after 60 s; not repairing now');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Current source rows of the keys (PostgreSQL text), by key. */
  private async readRows(shape: TableShape, keys: Key[]): Promise<Map<string, Record<string, string | null>>> {
    const keyColumns = shape.primaryKey.map((k) => shape.columns.find((c) => c.name === k)!);
    const params: string[] = [];
    const tuples = keys.map((key) => `(${keyColumns.map((c, i) => { params.push(key[i]); return `$${params.length}::${c.pgType}`; }).join(', ')})`);
    const { rows } = await this.source.query<Record<string, string | null>>(
      `SELECT * FROM ${qualifiedName(shape.schema, shape.table)} WHERE (${keyColumns.map((c) => quoteIdent(c.name)).join(', ')}) IN (${tuples.join(', ')})`,
      params,
    );
    return new Map(rows.map((r) => [JSON.stringify(shape.primaryKey.map((k) => r[k])), r]));
  }
}
