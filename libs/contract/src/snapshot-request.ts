/**
 * How `paysync snapshot` asks the streaming capture for a watermark snapshot of one table, or of
 * its rows matching a predicate (DESIGN.md 3.3). The request itself is a row in the source (so it
 * survives whatever happens to capture, and its progress can be resumed); this transactional
 * logical message, written in the same transaction, carries the row's id: capture learns of the
 * request in stream order, only once it is committed, without polling.
 */
export const SNAPSHOT_REQUEST_PREFIX = 'paysync.snapshot';

const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The request id a message carries, or an Error saying what is wrong with it. */
export function parseSnapshotRequestId(content: string): string | Error {
  return REQUEST_ID.test(content) ? content : new Error(`a snapshot request message carries the request's id (a UUID), not ${JSON.stringify(content.slice(0, 80))}`);
}
