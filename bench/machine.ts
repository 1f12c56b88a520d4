import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { createMysqlPool } from '@paysync/mysql';
import { createPool } from '@paysync/postgres';

/** Cores, CPU, RAM, OS, node and the given server versions: what a figure was measured on. */
export function machine(serverVersions: string[]): string {
  const os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? process.platform;
  return [`${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'})`, `${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`, os, `node ${process.version}`, ...serverVersions].join(', ');
}

/** The commit, marked dirty when the working tree differed: the built services that ran are the tree's. */
export function codeVersion(): string {
  return execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).trim();
}

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}

/** "PostgreSQL 15.18 (Debian 15.18-0+deb12u1)" */
export async function postgresVersion(url: string): Promise<string> {
  const pool = createPool(url, { applicationName: 'paysync-bench', max: 1 });
  try {
    return (await pool.query<{ v: string }>(`SELECT split_part(version(), ' on ', 1) AS v`)).rows[0].v;
  } finally {
    await pool.end();
  }
}

/** "MariaDB 10.11.14" */
export async function mariadbVersion(url: string): Promise<string> {
  const pool = createMysqlPool(url, { max: 1 });
  try {
    const [rows] = await pool.query('SELECT VERSION() AS v');
    return `MariaDB ${String((rows as { v: string }[])[0].v).replace(/-MariaDB.*$/, '')}`;
  } finally {
    await pool.end();
  }
}
