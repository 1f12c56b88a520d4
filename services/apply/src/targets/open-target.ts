import { PostgresTarget } from './postgres/postgres-target';
import { MysqlTarget } from './mysql/mysql-target';
import type { Target } from './target';

/** The target a URL names: postgres:// or postgresql://, mysql:// or mariadb://. */
export function openTarget(url: string, applicationName: string): Target {
  const protocol = new URL(url).protocol;
  if (protocol === 'postgres:' || protocol === 'postgresql:') return new PostgresTarget(url, applicationName);
  if (protocol === 'mysql:' || protocol === 'mariadb:') return new MysqlTarget(url);
  throw new Error(`PAYSYNC_TARGET_URL: unsupported protocol ${protocol} (use postgres:// or mysql://)`);
}
