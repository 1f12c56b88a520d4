import { md5FirstWord } from './md5-first-word';

/** Kafka topic and registry subject names of the event contract (Debezium's conventions). */
const UNSAFE = /[^A-Za-z0-9._-]/g;

export function topicName(prefix: string, schema: string, table: string): string {
  return `${prefix}.${schema}.${table}`.replace(UNSAFE, '_');
}

/** TopicNameStrategy. */
export function keySubject(topic: string): string {
  return `${topic}-key`;
}

export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

export function deadLetterTopic(prefix: string, groupId: string): string {
  return `${prefix}.dlq.${groupId}`.replace(UNSAFE, '_');
}

/**
 * The transaction-ordered topic (one partition): every change of every captured table in commit
 * order, the same key and value bytes as in its table topic, each source transaction closed by a
 * commit marker (null key and value, COMMIT_MARKER_HEADER set). Transaction-consistent apply reads it.
 */
export function transactionTopicName(prefix: string): string {
  return `${prefix}.transactions`.replace(UNSAFE, '_');
}

/** Header of a commit marker: the transaction's commit LSN (or the snapshot chunk's high watermark). */
export const COMMIT_MARKER_HEADER = 'paysync.commit.lsn';

/**
 * Partition of a key: a hash of its primary-key values as PostgreSQL text (JSON array, key order),
 * so one row's history stays in one partition and in order, whatever schema id the key carries.
 */
export function partitionOf(keyText: string, partitions: number): number {
  // The first four bytes of the MD5 digest, big-endian.
  return md5FirstWord(keyText) % partitions;
}

/** Where apply records the conflicts it finds in a target also written by its own users (bidirectional sync). */
export function conflictTopic(prefix: string, groupId: string): string {
  return `${prefix}.conflicts.${groupId}`.replace(UNSAFE, '_');
}
