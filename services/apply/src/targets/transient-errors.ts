/** Node socket errors: the target is down or the connection broke. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'PROTOCOL_CONNECTION_LOST']);
const NETWORK_MESSAGES = /connection terminated|connection ended|server closed the connection|connection is closed|cannot enqueue|pool is closed|timeout exceeded when trying to connect|is not queryable/i;

/** True for a socket-level failure that a retry after reconnecting may fix. */
export function isNetworkError(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return typeof message === 'string' && NETWORK_MESSAGES.test(message);
}
