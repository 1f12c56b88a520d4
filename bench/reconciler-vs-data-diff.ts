/**
 * Reconciler beside data-diff (DESIGN.md §8 "reconciler rows/s with no drift"): one payouts table
 * in a PostgreSQL source, identical copies in a PostgreSQL and a MariaDB target, compared by the
 * built `paysync reconcile --once --json` and by data-diff's hashdiff on the same key and columns.
 *
 *   npm run stack:up && npm run build && npm run bench:reconcile -- [--rows 1000000] [--runs 3] [--data-diff-threads 1]
 *
 * 1. Equal tables: each tool compares source and each target `runs` times, the two alternating
 *    which goes first; both must report no difference.
 * 2. Drift: four rows of each target changed (one missing, one extra, two different); each tool
 *    runs once and must name exactly those keys.
 * data-diff is installed into a venv in .stack/cache on the first run. The databases are removed.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { createScratchDatabase } from '../test/support/fixtures';
import { startPaysync } from '../test/support/paysync-process';
import { processUsage, usageText } from './process-usage';
import { stackAddresses } from '../test/support/stack-addresses';
import { createScratchMysqlTarget, createScratchPostgresTarget, type ScratchTarget } from '../test/support/target-databases';
import { atCleanup, log, runBenchmark } from './bench-run';
import { DATA_DIFF_VERSION, dataDiffPython } from './data-diff-venv';
import { codeVersion, loadAverage, machine, mariadbVersion, postgresVersion } from './machine';
import { runBounded } from '../test/support/bounded-run';
import { libpqTarget } from './libpq-target';
import type { RunReport } from '../services/reconciler/src/reconcile-run';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    'data-diff-threads': { type: 'string', default: '1' },
  },
});

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number >= 1, got ${text}`);
  return value;
}

const rows = positive('rows', args.rows);
const runs = positive('runs', args.runs);
const dataDiffThreads = positive('data-diff-threads', args['data-diff-threads']);
const command = `npm run bench:reconcile -- --rows ${rows} --runs ${runs} --data-diff-threads ${dataDiffThreads}`;

/** Below this a comparison is stuck, not slow: bounds each run, so a hang ends in an error. */
const FLOOR_ROWS_PER_S = 5000;
const limitMs = 120_000 + Math.ceil((rows / FLOOR_ROWS_PER_S) * 1000);

const TABLE = 'public.payouts';
const COLUMNS = ['account_id', 'amount', 'currency', 'note', 'settled', 'paid_at'];
const PG_DDL = `CREATE TABLE payouts (id bigint PRIMARY KEY, account_id bigint NOT NULL, amount numeric(20,4) NOT NULL, currency text NOT NULL,
  note text, settled boolean NOT NULL, paid_at timestamptz NOT NULL)`;
/** The table apply creates on MariaDB for that source (services/apply/src/targets/mysql). */
const MARIADB_DDL = `CREATE TABLE payouts (id BIGINT NOT NULL, account_id BIGINT NOT NULL, amount DECIMAL(20,4) NOT NULL, currency LONGTEXT NOT NULL,
  note LONGTEXT, settled BOOLEAN NOT NULL, paid_at DATETIME(6) NOT NULL, PRIMARY KEY (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;
/** The reconciler test's rows: every column varies, a tenth of the notes are NULL, microseconds in every timestamp. */
const FILL = `INSERT INTO payouts SELECT g, g % 1000, round((g::bigint * 7919 % 1000000) / 100.0, 4), CASE WHEN g % 3 = 0 THEN 'EUR' ELSE 'USD' END,
  CASE WHEN g % 10 = 0 THEN NULL ELSE 'payout ' || g END, g % 2 = 0, timestamptz '2024-01-01 00:00:00+00' + g * interval '1.000001 second'
  FROM generate_series(1, $1::int) g`;

type Kind = 'postgres' | 'mysql';
const TARGET_NAME: Record<Kind, string> = { postgres: 'PostgreSQL', mysql: 'MariaDB' };

interface Found {
  missing: string[];
  extra: string[];
  different: string[];
}

interface Outcome {
  /** The comparison inside the tool: the reconciler's report, data-diff's diff_tables. */
  compareSeconds: number;
  /** Spawn to exit: start-up, connections, schema reads and the comparison. */
  processSeconds: number;
  found: Found;
  /** The reconciler's row hash (md5 or PostgreSQL's hash64). */
  rowHash?: string;
}

const DRIFT: Found = { missing: ['2000'], extra: ['2000001'], different: ['1000', '3000'] };

const byNumber = (keys: string[]): string[] => [...keys].sort((a, b) => Number(a) - Number(b));
const sameFound = (a: Found, b: Found): boolean => JSON.stringify(a) === JSON.stringify(b);
const foundCount = (f: Found): number => f.missing.length + f.extra.length + f.different.length;
const describeFound = (f: Found): string =>
  foundCount(f) === 0 ? 'none' : (['missing', 'extra', 'different'] as const).filter((k) => f[k].length > 0).map((k) => `${k} ${f[k].join(', ')}`).join('; ');

/** One `paysync reconcile --once --json`: no slot and no apply group to fence on (nothing writes), re-checks at once. */
async function reconciler(sourceUrl: string, target: ScratchTarget): Promise<Outcome> {
  const started = performance.now();
  const run = startPaysync('reconcile', { PAYSYNC_SOURCE_URL: sourceUrl, PAYSYNC_TARGET_URL: target.url, PAYSYNC_TABLES: TABLE, PAYSYNC_RECONCILE_RECHECK_DELAYS_MS: '0' }, ['--once', '--json']);
  const timer = setTimeout(() => run.kill('SIGKILL'), limitMs);
  // Sampled while it runs (the figures go with the process): for the Helm chart's resource defaults.
  let usage = processUsage(run.child.pid);
  const sampler = setInterval(() => (usage = processUsage(run.child.pid) ?? usage), 100);
  const code = await run.exited.finally(() => {
    clearTimeout(timer);
    clearInterval(sampler);
  });
  log(`reconciler against ${target.kind}: ${usageText(usage)}`);
  const processSeconds = (performance.now() - started) / 1000;
  const json = run.output().split('\n').find((line) => line.startsWith('{"startedAt"'));
  if ((code !== 0 && code !== 3) || json === undefined) throw new Error(`paysync reconcile exited with ${code} (limit ${limitMs / 1000} s):\n${run.output().slice(-3000)}`);
  const parsed = JSON.parse(json) as RunReport;
  const report = parsed.tables[0];
  if (report.rows !== rows) throw new Error(`paysync reconcile counted ${report.rows} source rows, expected ${rows}`);
  const keys = (list: Record<string, string | number>[]) => byNumber(list.map((k) => String(k.id)));
  return { compareSeconds: report.seconds, processSeconds, rowHash: parsed.rowHash, found: { missing: keys(report.missing), extra: keys(report.extra), different: keys(report.different) } };
}

/**
 * data-diff through its Python API, set as its CLI sets itself (`data-diff SRC payouts TGT payouts
 * -k id -c ... -a hashdiff -j N`): N connections per database and a pool of 2N threads. The API
 * rather than the CLI, because the CLI imports dbt first (seconds of start-up the comparison does
 * not need); the process time below still includes Python's start-up.
 */
const DATA_DIFF_SCRIPT = `
import json, os, sys, time
from data_diff import Algorithm, connect_to_table, diff_tables, disable_tracking
disable_tracking()
a = json.loads(sys.argv[1])
started = time.monotonic()
source = connect_to_table(os.environ['DATA_DIFF_SOURCE'], a['sourceTable'], 'id', thread_count=a['threads'])
target = connect_to_table(os.environ['DATA_DIFF_TARGET'], a['targetTable'], 'id', thread_count=a['threads'])
diff = diff_tables(source, target, extra_columns=tuple(a['columns']), algorithm=Algorithm.HASHDIFF, threaded=True, max_threadpool_size=2 * a['threads'])
found = [[sign, str(row[0])] for sign, row in diff]
print(json.dumps({'seconds': time.monotonic() - started, 'found': found}))
`;

/** data-diff knows PostgreSQL URLs by the scheme postgresql: only. */
const dataDiffUrl = (url: string): string => url.replace(/^postgres:/, 'postgresql:');

async function dataDiff(python: string, sourceUrl: string, target: ScratchTarget): Promise<Outcome> {
  const spec = { sourceTable: TABLE, targetTable: target.kind === 'postgres' ? TABLE : 'payouts', columns: COLUMNS, threads: dataDiffThreads };
  const { seconds, stdout } = await runBounded('data-diff', python, ['-c', DATA_DIFF_SCRIPT, JSON.stringify(spec)], { PATH: process.env.PATH ?? '', DATA_DIFF_SOURCE: dataDiffUrl(sourceUrl), DATA_DIFF_TARGET: dataDiffUrl(target.url) }, limitMs);
  const result = JSON.parse(stdout.trim().split('\n').pop() as string) as { seconds: number; found: ['-' | '+', string][] };
  // A key only in the source ("-") is missing from the target, only in the target ("+") extra, on both sides different.
  const signs = new Map<string, Set<string>>();
  for (const [sign, key] of result.found) signs.set(key, (signs.get(key) ?? new Set()).add(sign));
  const keys = (test: (s: Set<string>) => boolean) => byNumber([...signs].filter(([, s]) => test(s)).map(([k]) => k));
  return { compareSeconds: result.seconds, processSeconds: seconds, found: { missing: keys((s) => s.size === 1 && s.has('-')), extra: keys((s) => s.size === 1 && s.has('+')), different: keys((s) => s.size === 2) } };
}

/** COPY out of the source into the target: PostgreSQL as it is, MariaDB with booleans as 0/1 and timestamps as UTC text. */
async function copyInto(sourceUrl: string, target: ScratchTarget): Promise<void> {
  const source = libpqTarget(sourceUrl);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', SOURCE: source.url, PGPASSWORD: source.env.PGPASSWORD };
  let pipe: string;
  if (target.kind === 'postgres') {
    const into = libpqTarget(target.url);
    Object.assign(env, { TARGET: into.url, TARGET_PASSWORD: into.env.PGPASSWORD, EXPORT: `COPY ${TABLE} TO STDOUT`, IMPORT: `COPY ${TABLE} FROM STDIN` });
    pipe = 'psql -X -q -v ON_ERROR_STOP=1 "$SOURCE" -c "$EXPORT" | PGPASSWORD="$TARGET_PASSWORD" psql -X -q -v ON_ERROR_STOP=1 "$TARGET" -c "$IMPORT"';
  } else {
    const into = new URL(target.url);
    Object.assign(env, {
      HOST: into.hostname,
      PORT: into.port || '3306',
      USER_NAME: decodeURIComponent(into.username),
      MYSQL_PWD: decodeURIComponent(into.password),
      DATABASE: into.pathname.slice(1),
      EXPORT: `COPY (SELECT id, account_id, amount, currency, note, settled::int, to_char(paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM ${TABLE}) TO STDOUT`,
      // PostgreSQL's COPY text format (tabs, backslash escapes, \N for NULL) is LOAD DATA's default format.
      IMPORT: `LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE payouts (id, account_id, amount, currency, note, settled, paid_at)`,
    });
    pipe = 'psql -X -q -v ON_ERROR_STOP=1 "$SOURCE" -c "$EXPORT" | mariadb --no-defaults --local-infile=1 -h "$HOST" -P "$PORT" -u "$USER_NAME" "$DATABASE" -e "$IMPORT"';
  }
  const { seconds } = await runBounded(`copy into the ${TARGET_NAME[target.kind]} target`, 'bash', ['-o', 'pipefail', '-c', pipe], env, limitMs);
  const table = target.kind === 'postgres' ? TABLE : 'payouts';
  const copied = Number((await target.query(`SELECT count(*) AS n FROM ${table}`))[0].n);
  if (copied !== rows) throw new Error(`the ${TARGET_NAME[target.kind]} target holds ${copied} rows after the copy, expected ${rows}`);
  await target.query(target.kind === 'postgres' ? `VACUUM ANALYZE ${TABLE}` : 'ANALYZE TABLE payouts');
  log(`copied ${rows.toLocaleString('en')} rows into the ${TARGET_NAME[target.kind]} target in ${seconds.toFixed(1)} s`);
}

/** The four changes of the reconciler test: a different amount, a missing row, an extra row, a timestamp 1 µs later. */
function driftStatements(kind: Kind): string[] {
  const t = kind === 'postgres' ? TABLE : 'payouts';
  return [
    `UPDATE ${t} SET amount = amount + 0.0001 WHERE id = 1000`,
    `DELETE FROM ${t} WHERE id = 2000`,
    `INSERT INTO ${t} (id, account_id, amount, currency, note, settled, paid_at) VALUES (2000001, 1, 1.0000, 'USD', 'extra', ${kind === 'postgres' ? 'true' : '1'}, '2024-06-01 00:00:00')`,
    kind === 'postgres' ? `UPDATE ${t} SET paid_at = paid_at + interval '1 microsecond' WHERE id = 3000` : `UPDATE ${t} SET paid_at = paid_at + INTERVAL 1 MICROSECOND WHERE id = 3000`,
  ];
}

type Tool = 'paysync reconcile' | 'data-diff';
const TOOLS: Tool[] = ['paysync reconcile', 'data-diff'];

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en');

async function main(): Promise<void> {
  const startedAt = new Date();
  const load = loadAverage();
  const code = codeVersion();
  const stack = stackAddresses();
  const python = await dataDiffPython();
  const pythonVersion = execFileSync(python, ['--version'], { encoding: 'utf8' }).trim();
  const versions = [await postgresVersion(stack.PAYSYNC_TEST_PG_URL), await mariadbVersion(stack.PAYSYNC_TEST_MYSQL_URL), pythonVersion, `data-diff ${DATA_DIFF_VERSION}`];

  log(`source: ${rows.toLocaleString('en')} payouts`);
  const source = await createScratchDatabase('paysync_bench_src');
  atCleanup(() => source.drop());
  await source.pool.query(PG_DDL);
  await source.pool.query(FILL, [rows]);
  await source.pool.query(`VACUUM ANALYZE ${TABLE}`);

  const targets: ScratchTarget[] = [];
  for (const create of [createScratchPostgresTarget, createScratchMysqlTarget]) {
    const target = await create();
    atCleanup(() => target.drop());
    await target.query(target.kind === 'postgres' ? PG_DDL : MARIADB_DDL);
    await copyInto(source.url, target);
    targets.push(target);
  }

  const run = (tool: Tool, target: ScratchTarget): Promise<Outcome> => (tool === 'paysync reconcile' ? reconciler(source.url, target) : dataDiff(python, source.url, target));
  const equal = new Map<string, Outcome[]>();
  for (let i = 0; i < runs; i++) {
    for (const target of targets) {
      // Alternating the order spreads whatever the first run of a pair pays (cold caches, a busier moment) over both tools.
      for (const tool of i % 2 === 0 ? TOOLS : [...TOOLS].reverse()) {
        const outcome = await run(tool, target);
        log(`equal tables, run ${i + 1}/${runs}, ${TARGET_NAME[target.kind]} target, ${tool}: ${outcome.compareSeconds.toFixed(2)} s comparing, ${outcome.processSeconds.toFixed(2)} s in all; differences: ${describeFound(outcome.found)}`);
        if (outcome.rowHash) log(`  rows hashed with ${outcome.rowHash}`);
        const key = `${tool}|${target.kind}`;
        equal.set(key, [...(equal.get(key) ?? []), outcome]);
      }
    }
  }

  const drifted = new Map<string, Outcome[]>();
  for (const target of targets) {
    for (const statement of driftStatements(target.kind)) await target.query(statement);
    for (let i = 0; i < runs; i++) {
      for (const tool of i % 2 === 0 ? TOOLS : [...TOOLS].reverse()) {
        const outcome = await run(tool, target);
        const verdict = sameFound(outcome.found, DRIFT) ? 'exactly the four' : `WRONG (expected ${describeFound(DRIFT)})`;
        log(`drift, run ${i + 1}/${runs}, ${TARGET_NAME[target.kind]} target, ${tool}: ${outcome.compareSeconds.toFixed(2)} s comparing; ${describeFound(outcome.found)}: ${verdict}`);
        const key = `${tool}|${target.kind}`;
        drifted.set(key, [...(drifted.get(key) ?? []), outcome]);
      }
    }
  }

  console.log(`\ncommand: ${command}`);
  console.log(`machine: ${machine(versions)}`);
  console.log(`code: ${code}`);
  console.log(`run: ${startedAt.toISOString()} .. ${new Date().toISOString()}; load average at start ${load}, at end ${loadAverage()}`);
  console.log(`data-diff: hashdiff, bisection factor 32, threshold 16,384 (its defaults), ${dataDiffThreads} connection(s) per database, key id, columns ${COLUMNS.join(', ')}`);
  console.log('paysync reconcile: default settings (leaf 1,000 rows, split factor 16), re-check delay 0 ms, no fence (nothing writes)');
  console.log(`Equal tables, ${runs} runs each (median; min-max). rows/s = rows of one side / seconds; both sides read every row, so rows hashed per second are twice that.\n`);
  console.log('| tool | target | rows per side | compare s | rows/s (one side) | rows/s hashed (both sides) | process s | differences reported |');
  console.log('|---|---|---|---|---|---|---|---|');
  const ratios: string[] = [];
  for (const target of targets) {
    const medians: Record<string, { compare: number; process: number }> = {};
    for (const tool of TOOLS) {
      const outcomes = equal.get(`${tool}|${target.kind}`) ?? [];
      const compare = outcomes.map((o) => o.compareSeconds);
      const total = outcomes.map((o) => o.processSeconds);
      medians[tool] = { compare: median(compare), process: median(total) };
      const reported = outcomes.map((o) => foundCount(o.found));
      console.log(
        `| ${tool}${outcomes[0]?.rowHash ? ` (${outcomes[0].rowHash})` : ''} | ${TARGET_NAME[target.kind]} | ${fmt(rows)} | ${median(compare).toFixed(2)} (${Math.min(...compare).toFixed(2)}-${Math.max(...compare).toFixed(2)}) | ${fmt(rows / median(compare))} | ${fmt((2 * rows) / median(compare))} | ${median(total).toFixed(2)} (${Math.min(...total).toFixed(2)}-${Math.max(...total).toFixed(2)}) | ${reported.join(', ')}${reported.some((n) => n > 0) ? ' (false positives)' : ''} |`,
      );
    }
    const ours = medians['paysync reconcile'];
    const theirs = medians['data-diff'];
    ratios.push(`${TARGET_NAME[target.kind]} target: reconciler ${(theirs.compare / ours.compare).toFixed(2)}x data-diff's rows/s comparing, ${(theirs.process / ours.process).toFixed(2)}x spawn to exit (goal >= 2x: ${theirs.compare / ours.compare >= 2 ? 'met' : 'not met'})`);
  }
  console.log('');
  for (const line of ratios) console.log(line);
  console.log(`\nFour drifted rows in each target (missing 2000, extra 2000001, different 1000 and 3000), ${runs} runs each (median; min-max):\n`);
  console.log('| tool | target | found | verdict | compare s |');
  console.log('|---|---|---|---|---|');
  const driftRatios: string[] = [];
  for (const target of targets) {
    const compare: Record<string, number> = {};
    for (const tool of TOOLS) {
      const outcomes = drifted.get(`${tool}|${target.kind}`) ?? [];
      const seconds = outcomes.map((o) => o.compareSeconds);
      compare[tool] = median(seconds);
      const found = [...new Set(outcomes.map((o) => describeFound(o.found)))].join(' / ');
      const verdict = outcomes.every((o) => sameFound(o.found, DRIFT)) ? 'exactly the four, every run' : `WRONG (expected ${describeFound(DRIFT)})`;
      console.log(`| ${tool} | ${TARGET_NAME[target.kind]} | ${found} | ${verdict} | ${compare[tool].toFixed(2)} (${Math.min(...seconds).toFixed(2)}-${Math.max(...seconds).toFixed(2)}) |`);
    }
    const ratio = compare['data-diff'] / compare['paysync reconcile'];
    driftRatios.push(`${TARGET_NAME[target.kind]} target with drift: reconciler ${ratio.toFixed(2)}x data-diff's rows/s comparing (goal >= 1x: ${ratio >= 1 ? 'met' : 'not met'})`);
  }
  console.log('');
  for (const line of driftRatios) console.log(line);
}

runBenchmark(main);
