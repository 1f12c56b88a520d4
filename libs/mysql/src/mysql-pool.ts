import mysql from 'mysql2/promise';
import { parseMysqlUrl } from './mysql-url';

export type MysqlPool = mysql.Pool;
export type MysqlConnection = mysql.PoolConnection;

/**
 * A pool whose values come back exact: DECIMAL and BIGINT as strings, dates and times as the
 * server's text, the session in UTC, so nothing passes through a JS number or Date.
 */
export function createMysqlPool(url: string, options: { max?: number; setting?: string } = {}): MysqlPool {
  const { host, port, user, password, database, ssl } = parseMysqlUrl(url, options.setting);
  return mysql.createPool({
    host,
    port,
    user,
    password,
    database,
    ssl,
    connectionLimit: options.max ?? 4,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
    timezone: 'Z',
    charset: 'utf8mb4_bin',
  });
}

/** The server's clock, NOW(6), as a value for a `?` of a statement (a VALUES list takes no SQL otherwise). */
export const MYSQL_NOW = mysql.raw('NOW(6)');

/** `my``odd``name` */
export function quoteMysqlIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** The database the URL names (MariaDB/MySQL targets write there). */
export function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}
