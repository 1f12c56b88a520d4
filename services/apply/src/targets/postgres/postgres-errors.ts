import { quoteIdent } from '@paysync/postgres';
import type { PrivilegeProblem } from '../missing-privileges';
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

/**
 * The privilege a refusal names, with the statement that grants it; undefined for other errors.
 * insufficient_privilege (42501: no privilege on a table or schema, not the owner of a table being
 * altered), a refused login (28000, 28P01: a password rotated while apply runs) and a prepared
 * statement the server does not know (26000: a pooler between apply and the target runs the
 * connection's statements on server connections that never prepared them) are neither the record's
 * fault nor passing.
 */
export function postgresPrivilegeProblem(err: unknown, role: string): PrivilegeProblem | undefined {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  const text = String(message);
  const quotedRole = quoteIdent(role);
  if (code === '28000' || code === '28P01') {
    return { problem: `the target refused the login of role ${quotedRole}: ${text}`, fix: "check the user and password of PAYSYNC_TARGET_URL and the server's pg_hba.conf" };
  }
  if (code === '26000') {
    return {
      problem: `the target does not know a statement apply prepared on this connection (${text}): a connection pooler in transaction mode runs it on another server connection`,
      fix: 'set PAYSYNC_TARGET_PREPARED_STATEMENTS=false, or let the pooler keep prepared statements (PgBouncer 1.21 or later with max_prepared_statements above 0)',
    };
  }
  if (code !== '42501') return undefined;
  const owner = /must be owner of (?:table|relation) (.+)$/.exec(text);
  if (owner) {
    return {
      problem: `role ${quotedRole} may not add a column the source gained to target table ${owner[1]} (${text})`,
      fix: `as its owner: ALTER TABLE ${owner[1]} OWNER TO ${quotedRole}; or add the column to the target table yourself`,
    };
  }
  return { problem: `the target refused role ${quotedRole}: ${text}`, fix: `grant ${quotedRole} what the message names (deploy/sql/postgres-apply-role.sql grants what apply needs)` };
}
