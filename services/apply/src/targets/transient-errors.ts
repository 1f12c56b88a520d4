import { connectionFailure } from '@paysync/config';

/** Drivers' words for a connection apply cannot use any more, besides a server that cannot be reached. */
const NETWORK_MESSAGES = /connection ended|server closed the connection|connection is closed|cannot enqueue|pool is closed|timeout exceeded when trying to connect|is not queryable/i;

/** True for a socket-level failure that a retry after reconnecting may fix: the target is down or the connection broke. */
export function isNetworkError(err: unknown): boolean {
  const { message } = (err ?? {}) as { message?: unknown };
  return connectionFailure(err) !== undefined || (typeof message === 'string' && NETWORK_MESSAGES.test(message));
}
