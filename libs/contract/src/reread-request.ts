/**
 * How the reconciler asks capture to re-read drifted keys (DESIGN.md 3.3): a logical message in the
 * source's WAL, so the request reaches capture in stream order and no second writer touches the
 * topics. Capture answers with a watermark window over exactly those keys: present rows as
 * snapshot reads, absent keys as deletes.
 */
export const REREAD_REQUEST_PREFIX = 'paysync.reread';

export interface RereadRequest {
  /** schema.table as configured in PAYSYNC_TABLES. */
  table: string;
  /** Primary-key values as PostgreSQL literals, in key-column order. */
  keys: string[][];
}

export function encodeRereadRequest(request: RereadRequest): string {
  return JSON.stringify(request);
}

/** The request in a message's content, or an Error saying what is wrong with it. */
export function parseRereadRequest(content: string): RereadRequest | Error {
  try {
    const parsed = JSON.parse(content) as Partial<RereadRequest>;
    const valid =
      typeof parsed.table === 'string' &&
      Array.isArray(parsed.keys) &&
      parsed.keys.every((key) => Array.isArray(key) && key.every((part) => typeof part === 'string'));
    return valid ? (parsed as RereadRequest) : new Error('a re-read request needs {"table": "schema.table", "keys": [["..."]]}');
  } catch (err) {
    return new Error(`a re-read request is not JSON: ${(err as Error).message}`);
  }
}
