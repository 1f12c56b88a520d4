import { quoteMysqlIdent as q } from '@paysync/mysql';
import type { PrivilegeProblem } from '../missing-privileges';
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

/**
 * Refusals neither the record causes nor a retry fixes: login (1045, 1698), database (1044), table
 * and column privileges (1142, 1143), a routine (1370), a global privilege (1227).
 */
const REFUSED = new Set([1044, 1045, 1142, 1143, 1227, 1370, 1698]);

/**
 * "INSERT command denied to user 'u'@'h' for table `db`.`t`" (MySQL 8: for table 't'); "INSERT,
 * UPDATE command denied" for an upsert; "for column 'c' in table ..." (1143).
 */
const COMMAND_DENIED = /^(\w+(?:, \w+)*) command denied to user .+ for (?:column '[^']*' in )?table (.+)$/;

/**
 * The privilege a refusal names, with the GRANT for `account` ('user'@'host'); undefined for other
 * errors. A table named without its database is in `database` (the URL's).
 */
export function mysqlPrivilegeProblem(err: unknown, account: string, database: string): PrivilegeProblem | undefined {
  const { errno, message } = (err ?? {}) as { errno?: unknown; message?: unknown };
  if (typeof errno !== 'number' || !REFUSED.has(errno)) return undefined;
  const text = String(message);
  if (errno === 1045 || errno === 1698) return { problem: `the target refused the login: ${text}`, fix: 'check the user and password of PAYSYNC_TARGET_URL' };
  const denied = COMMAND_DENIED.exec(text);
  if (!denied) return { problem: `the target refused user ${account}: ${text}`, fix: `grant ${account} what the message names (deploy/sql/mariadb-apply-user.sql grants what apply needs)` };
  const names = denied[2].replace(/[`']/g, '').split('.');
  const table = names.length === 1 ? names[0] : names.slice(1).join('.');
  const quoted = `${q(names.length === 1 ? database : names[0])}.${q(table)}`;
  if (denied[1] !== 'CREATE') return { problem: `user ${account} lacks ${denied[1]} on ${quoted}`, fix: `GRANT ${denied[1]} ON ${quoted} TO ${account};` };
  // Creating a table is not all: MariaDB gives its creator no privilege on it, and apply adds the columns a source table gains.
  const needed = table.startsWith('paysync_') ? 'SELECT, INSERT, UPDATE, DELETE, CREATE' : 'SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER';
  return { problem: `user ${account} lacks CREATE on ${quoted} (apply creates the table when it is missing)`, fix: `GRANT ${needed} ON ${quoted} TO ${account};` };
}
