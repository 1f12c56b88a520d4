import { PostgresTarget } from './postgres/postgres-target';
import { MysqlTarget } from './mysql/mysql-target';
import type { Target, TargetOptions } from './target';

/** The target a URL names: postgres:// or postgresql://, mysql:// or mariadb://. */
export function openTarget(url: string, applicationName: string, options: TargetOptions): Target {
  const protocol = new URL(url).protocol;
  if (protocol === 'postgres:' || protocol === 'postgresql:') return new PostgresTarget(url, applicationName, options);
  if (protocol === 'mysql:' || protocol === 'mariadb:') return new MysqlTarget(url, options);
  throw new Error(`PAYSYNC_TARGET_URL: unsupported protocol ${protocol} (use postgres:// or mysql://)`);
}
