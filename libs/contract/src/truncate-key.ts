/**
 * The key of a truncate event in a table topic. Table topics are compacted, and Kafka refuses a
 * record without a key there; a truncate has no row key, so it carries this one: the table's name,
 * under a schema of its own (another schema id, so it never equals a row's key). Every truncate of
 * a partition has the same key, and compaction keeps the newest only, which is enough: a truncate
 * removes every row older than itself, so it covers what the older ones removed. The transaction
 * topic (a log, not compacted) keeps Debezium's null key.
 */
export const TRUNCATE_KEY_SCHEMA = {
  type: 'record',
  name: 'TruncateKey',
  namespace: 'io.paysync',
  doc: 'Key of a truncate event (op t) in a compacted table topic.',
  fields: [{ name: 'table', type: 'string', doc: 'schema.table on the source' }],
};

export interface TruncateKey {
  table: string;
}

export function truncateKeySubject(topic: string): string {
  return `${topic}-truncate-key`;
}
