import { isNetworkError } from '../transient-errors';

/**
 * SQLSTATEs a retry can fix: connection exceptions (08), serialization failure and deadlock (40),
 * insufficient resources (53), operator intervention such as a restart (57), lock not available.
 * Data exceptions (22) and constraint violations (23) are the record's fault: dead-letter material.
 */
export function isTransientPostgresError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    return /^(08|40|53|57)/.test(code) || code === '55P03' || code === '55006';
  }
  return isNetworkError(err);
}
