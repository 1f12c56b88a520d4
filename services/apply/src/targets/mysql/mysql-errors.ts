import { isNetworkError } from '../transient-errors';

/**
 * MariaDB/MySQL errors a retry can fix: deadlock (1213), lock wait timeout (1205), too many
 * connections (1040), server shutdown or gone (1053, 2006, 2013), read-only during failover (1290,
 * 1836). Data and constraint errors are the record's fault.
 */
const TRANSIENT = new Set([1040, 1053, 1205, 1213, 1290, 1836, 2002, 2003, 2006, 2013]);

export function isTransientMysqlError(err: unknown): boolean {
  const errno = (err as { errno?: unknown })?.errno;
  if (typeof errno === 'number' && TRANSIENT.has(errno)) return true;
  return isNetworkError(err) || (err as { fatal?: unknown })?.fatal === true;
}
