import { CompressionTypes, type Kafka, type Message, type Producer, type RecordMetadata } from 'kafkajs';

export type { Message, Producer, RecordMetadata };

/**
 * The producer every paysync writer uses: idempotent (a retried send is written once), acks from
 * all in-sync replicas, one in-flight request per broker so a retry can never reorder a key's
 * history.
 */
export function createIdempotentProducer(kafka: Kafka, options: { transactionalId?: string; transactionTimeoutMs?: number; firstRetryMs?: number } = {}): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    transactionalId: options.transactionalId,
    transactionTimeout: options.transactionTimeoutMs,
    // An idempotent producer retries without limit (kafkajs' own default for it); only the first wait may change.
    retry: options.firstRetryMs === undefined ? undefined : { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: options.firstRetryMs },
    allowAutoTopicCreation: false,
  });
}

/**
 * A producer that only one process at a time can write with. Registering its transactional id with
 * the broker fences every older producer of that id: a transaction the old one left open is
 * aborted, and its every later write or commit refused. kafkajs registers the id only at the first
 * transaction(), not at connect(), so an empty transaction is begun and aborted here: the fencing
 * happens before the caller writes anything. Each batch is then one transaction, so a fenced
 * producer's batch is never visible to read_committed consumers. An open transaction holds those
 * readers of its partitions back until it ends: the timeout bounds that for a writer that died
 * without a successor.
 */
export async function connectFencedProducer(kafka: Kafka, transactionalId: string): Promise<Producer> {
  // A transaction begun while the coordinator still writes the previous one's markers (a few ms)
  // is answered CONCURRENT_TRANSACTIONS; the client's first retry after 200 ms would make every
  // batch wait that long, so a fenced producer retries after 10 ms.
  const producer = createIdempotentProducer(kafka, { transactionalId, transactionTimeoutMs: 30_000, firstRetryMs: 10 });
  try {
    await producer.connect();
    await (await producer.transaction()).abort();
    return producer;
  } catch (err) {
    await producer.disconnect().catch(() => undefined);
    throw err;
  }
}

/** A fenced producer's batch, in a transaction of its own: committed whole, or aborted and thrown. */
export async function sendInTransaction(producer: Producer, batch: TopicMessages[]): Promise<void> {
  const transaction = await producer.transaction();
  try {
    await transaction.sendBatch({ topicMessages: batch, acks: -1, compression: CompressionTypes.None });
    await transaction.commit();
  } catch (err) {
    // A failed abort leaves the producer unusable: that error wins, so the caller replaces it.
    await transaction.abort().catch((abortErr: unknown) => {
      throw new ProducerUnusable(abortErr, err);
    });
    throw err;
  }
}

/** The producer cannot go on (fenced by a newer one, or its transaction state is lost): make a new one. */
export class ProducerUnusable extends Error {
  constructor(
    cause: unknown,
    readonly sendError?: unknown,
  ) {
    super(`the Kafka producer cannot go on: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'ProducerUnusable';
  }
}

/**
 * Kafka refused the producer because a newer one registered its transactional id (another process
 * took over): the epoch is old (47, or 90 from newer brokers) or the id no longer maps to it (49).
 */
const FENCED_CODES = new Set([47, 49, 90]);

export function isFencedError(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const { type, code } = e as { type?: string; code?: number };
    if (type === 'INVALID_PRODUCER_EPOCH' || type === 'INVALID_PRODUCER_ID_MAPPING' || type === 'PRODUCER_FENCED' || (code !== undefined && FENCED_CODES.has(code))) return true;
  }
  return false;
}

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

/** Sends a batch with acks=all; resolves only once Kafka has acknowledged every message. */
export async function sendAcked(producer: Producer, batch: TopicMessages[]): Promise<RecordMetadata[]> {
  return producer.sendBatch({ topicMessages: batch, acks: -1, compression: CompressionTypes.None });
}
