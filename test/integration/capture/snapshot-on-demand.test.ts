import { partitionOffsets } from '@paysync/kafka';
import { CaptureFixture } from '../../support/capture-fixture';
import { sampleValue, scrapeMetrics } from '../../support/metrics-scrape';
import { exitedByItself, expectKilled, killAll, startPaysync, type PaysyncProcess } from '../../support/paysync-process';
import { compareVersion, readTopic, type ReadRecord } from '../../support/topic-reader';
import { sleep, waitUntil } from '../../support/wait';

jest.setTimeout(600_000);

const TABLE = 'public.orders';
const ROWS = 20_000;
/** Every fourth row is in the eu region: 5,000 rows match the first request, 15,000 the second. */
const EU = ROWS / 4;
const US = ROWS - EU;
const CHUNK_ROWS = 500;
const SETTINGS = {
  PAYSYNC_SNAPSHOT_CHUNK_ROWS: String(CHUNK_ROWS),
  // Slow enough to update a row and to kill capture while a request runs.
  PAYSYNC_SNAPSHOT_REQUEST_MAX_ROWS_PER_SECOND: '2500',
};

interface Request {
  state: string;
  rows_sent: string;
}

/** Rows changed by each round of the write load, one transaction every WRITE_EVERY_MS. */
const WRITE_ROWS = 5;
const WRITE_EVERY_MS = 50;

/** Kafka records after `from` (partition -> offset, taken before the request): what the request and the stream sent since. */
function since(records: ReadRecord[], from: Map<number, bigint>): ReadRecord[] {
  return records.filter((r) => BigInt(r.offset) >= (from.get(r.partition) ?? 0n));
}

describe('paysync snapshot: on-demand snapshots served by the streaming capture', () => {
  let fixture: CaptureFixture;
  let capture: PaysyncProcess;
  const processes: PaysyncProcess[] = [];

  beforeAll(async () => {
    fixture = await CaptureFixture.create([
      `CREATE TABLE ${TABLE} (id bigint PRIMARY KEY, region text NOT NULL, amount numeric(20,4) NOT NULL)`,
      `INSERT INTO ${TABLE} SELECT g, CASE WHEN g % 4 = 0 THEN 'eu' ELSE 'us' END, g / 100.0 FROM generate_series(1, ${ROWS}) g`,
    ]);
    capture = await fixture.startCaptureStreaming([TABLE], SETTINGS);
    await waitUntil(() => `the initial snapshot; capture said:\n${capture.output().slice(-3000)}`, () => capture.logs().some((l) => l.msg === 'snapshot of table done'), 120_000, 100);
  });

  afterAll(async () => {
    await killAll(processes);
    await fixture?.cleanup();
  });

  function snapshot(args: string[], extra: Record<string, string> = {}): PaysyncProcess {
    const command = startPaysync('snapshot', fixture.env([TABLE], extra), args);
    processes.push(command);
    return command;
  }

  function snapshotStatus(): PaysyncProcess {
    const status = startPaysync('status', { PAYSYNC_SOURCE_URL: fixture.db.url, PAYSYNC_SLOT: fixture.slot }, ['--json']);
    processes.push(status);
    return status;
  }

  async function requestCount(): Promise<number> {
    return Number((await fixture.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM paysync.capture_snapshot_requests')).rows[0].n);
  }

  async function request(id: string): Promise<Request> {
    const { rows } = await fixture.db.pool.query<Request>(`SELECT state, rows_sent FROM paysync.capture_snapshot_requests WHERE id = $1`, [id]);
    return rows[0];
  }

  async function topicEnds(): Promise<Map<number, bigint>> {
    return new Map((await partitionOffsets(fixture.kafka, fixture.topic(TABLE))).map((p) => [p.partition, p.high]));
  }

  const httpOf = (p: PaysyncProcess) => String(p.logs().find((l) => typeof l.http === 'string')?.http);
  const idOf = (p: PaysyncProcess) => /snapshot request ([0-9a-f-]{36})/.exec(p.output())?.[1] ?? '';
  const keysOf = (records: ReadRecord[]) => records.map((r) => Number(r.key?.id));

  it('refuses a bad predicate or a table it does not capture with exit 2 and one line, writing no request', async () => {
    const refusals: [string[], Record<string, string>, RegExp][] = [
      [['--table', TABLE, '--where', "regio = 'eu'"], {}, /^paysync snapshot: --where "regio = 'eu'" is refused by PostgreSQL on public\.orders: column "regio" does not exist; give a condition/],
      [['--table', TABLE, '--where', 'amount > 1) OR (true'], {}, /^paysync snapshot: --where "amount > 1\) OR \(true" closes a parenthesis it did not open; give one SQL condition/],
      [['--table', TABLE, '--where', `true; DELETE FROM ${TABLE}`], {}, /^paysync snapshot: --where .* has a ";": it must be one condition, not statements; /],
      [['--table', TABLE, '--where', 'region'], {}, /refused by PostgreSQL on public\.orders: argument of WHERE must be type boolean/],
      [['--table', 'public.customers'], {}, /^paysync snapshot: --table public\.customers is not one of PAYSYNC_TABLES \(public\.orders\); name one of them/],
      [['--table', 'public.ghosts'], { PAYSYNC_TABLES: `${TABLE},public.ghosts` }, /^paysync snapshot: table public\.ghosts does not exist on the source \(PAYSYNC_SOURCE_URL\); check the name/],
    ];
    for (const [args, extra, said] of refusals) {
      const command = snapshot(args, extra);
      const code = await exitedByItself(command, `paysync snapshot ${args.join(' ')}`);
      const lines = command.output().trim().split('\n');
      expect({ args, code, lines: lines.length, line: lines[0] }).toEqual({ args, code: 2, lines: 1, line: expect.stringMatching(said) });
    }
    expect(await requestCount()).toBe(0);
    expect(Number((await fixture.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${TABLE}`)).rows[0].n)).toBe(ROWS);
  });

  /** While the request runs: a steady write load of small transactions on both regions (none changes a row's region), and readiness probes. */
  function backgroundLoads(updated: Set<number>, notReady: string[]): { stop(): Promise<void> } {
    let active = true;
    const writer = (async () => {
      while (active) {
        // Never the last key (the late row): the test checks the value it sets last.
        const ids = Array.from({ length: WRITE_ROWS }, () => 1 + Math.floor(Math.random() * (ROWS - 1)));
        await fixture.db.pool.query(`UPDATE ${TABLE} SET amount = amount + 0.0001 WHERE id = ANY($1::bigint[])`, [ids]);
        ids.forEach((id) => updated.add(id));
        await sleep(WRITE_EVERY_MS);
      }
    })();
    const prober = (async () => {
      while (active) {
        const answer = await fetch(`${httpOf(capture)}/readyz`).then((r) => String(r.status), (err: Error) => err.message);
        if (answer !== '200') notReady.push(answer);
        await sleep(100);
      }
    })();
    return {
      stop: async () => {
        active = false;
        await Promise.all([writer, prober]);
      },
    };
  }

  it('re-sends exactly the matching rows as snapshot reads under writes, a row updated meanwhile ending newest, capture streaming and ready all along', async () => {
    const from = await topicEnds();
    const updated = new Set<number>();
    const notReady: string[] = [];
    const loads = backgroundLoads(updated, notReady);
    const command = snapshot(['--table', TABLE, '--where', "region = 'eu'", '--wait']);
    // A row the request has not reached yet, changed while it runs: the stream's newer event must win.
    const late = ROWS; // the last eu key, in the request's last chunk
    let sentBefore = -1;
    try {
      await waitUntil(
        () => `the request to run; paysync snapshot said:\n${command.output()}`,
        async () => {
          const r = idOf(command) ? await request(idOf(command)) : undefined;
          if (r?.state !== 'running' || Number(r.rows_sent) === 0) return false;
          sentBefore = Number(r.rows_sent);
          return true;
        },
        120_000,
        20,
      );
      await fixture.db.pool.query(`UPDATE ${TABLE} SET amount = 777.7777 WHERE id = $1`, [late]);
      updated.add(late);
      expect(await exitedByItself(command, 'paysync snapshot --wait', 300_000)).toBe(0);
    } finally {
      await loads.stop();
    }
    await fixture.waitCaughtUp(capture);

    const id = idOf(command);
    const reported = Number(/done: (\d+) rows sent/.exec(command.output())?.[1]);
    expect(sentBefore).toBeLessThan(EU);
    const records = since(await readTopic(fixture.kafka, fixture.topic(TABLE)), from);
    const reads = records.filter((r) => r.value?.op === 'r');
    const readKeys = new Set(keysOf(reads));
    const eu = Array.from({ length: EU }, (_, i) => 4 * (i + 1));
    // Each matching row once, none other; a matching row missing was changed by the stream inside its window, whose event is newer.
    expect({ reads: reads.length, distinct: readKeys.size, notEu: reads.filter((r) => r.value?.after?.region !== 'eu').length }).toEqual({ reads: reported, distinct: reported, notEu: 0 });
    expect(eu.filter((key) => !readKeys.has(key) && !updated.has(key))).toEqual([]);
    expect(reported).toBeGreaterThan(EU - updated.size);

    const ofLate = records.filter((r) => Number(r.key?.id) === late && r.value !== null);
    const byVersion = [...ofLate].sort((a, b) => compareVersion(a.value!, b.value!));
    expect({ last: ofLate[ofLate.length - 1].value?.after?.amount, newest: byVersion[byVersion.length - 1].value?.after?.amount }).toEqual({ last: '777.7777', newest: '777.7777' });
    await fixture.expectTopicEqualsSource(TABLE);

    // Capture went on streaming in the same process, ready all along.
    expect({ exit: capture.child.exitCode, streamed: capture.logs().filter((l) => l.msg === 'capture streaming').length, notReady }).toEqual({ exit: null, streamed: 1, notReady: [] });
    const samples = await scrapeMetrics(httpOf(capture));
    expect({
      rows: sampleValue(samples, 'paysync_capture_snapshot_request_rows_total', { table: TABLE }),
      running: sampleValue(samples, 'paysync_capture_snapshot_requests', { state: 'running' }),
      pending: sampleValue(samples, 'paysync_capture_snapshot_requests', { state: 'pending' }),
      done: sampleValue(samples, 'paysync_capture_snapshot_requests_finished_total', { state: 'done' }),
    }).toEqual({ rows: reported, running: 0, pending: 0, done: 1 });

    const status = snapshotStatus();
    expect(await exitedByItself(status, 'paysync status')).toBe(0);
    const shown = (JSON.parse(status.output()) as { source: { status: { snapshotRequests: Record<string, unknown>[] } } }).source.status.snapshotRequests;
    expect(shown).toEqual([expect.objectContaining({ id, slot: fixture.slot, table: TABLE, where: "region = 'eu'", state: 'done', rowsSent: reported, error: null })]);
  });

  it('resumes a request on the standby that takes over when the streaming replica is killed in the middle of it; a standby serves none', async () => {
    const standby = fixture.startCapture([TABLE], SETTINGS);
    processes.push(standby);
    await waitUntil(() => `the second replica to wait as a standby; it said:\n${standby.output().slice(-3000)}`, () => standby.logs().some((l) => l.msg === 'capture standby: another replica streams the slot'), 120_000, 100);
    const from = await topicEnds();
    const command = snapshot(['--table', TABLE, '--where', "region = 'us'"]);
    expect(await exitedByItself(command, 'paysync snapshot')).toBe(0);
    const id = idOf(command);
    await waitUntil(() => `the request to be under way; capture said:\n${capture.output().slice(-3000)}`, async () => Number((await request(id)).rows_sent) >= 2 * CHUNK_ROWS, 120_000, 20);
    expect(standby.logs().filter((l) => String(l.msg).startsWith('snapshot request'))).toEqual([]);
    capture.kill('SIGKILL');
    await expectKilled(capture);
    const atKill = await request(id);
    expect({ state: atKill.state, unfinished: Number(atKill.rows_sent) < US }).toEqual({ state: 'running', unfinished: true });

    capture = standby;
    await waitUntil(() => `the request to finish on the replica that took over; it said:\n${capture.output().slice(-3000)}`, async () => (await request(id)).state === 'done', 180_000, 200);
    const resumed = capture.logs().find((l) => l.msg === 'snapshot request starting' && l.request === id);
    expect(Number(resumed?.resumeAfterRows)).toBeGreaterThanOrEqual(Number(atKill.rows_sent));
    await fixture.waitCaughtUp(capture);

    // Every us row went out, nothing else; at most the one chunk Kafka had not acknowledged at the kill twice.
    const reads = since(await readTopic(fixture.kafka, fixture.topic(TABLE)), from).filter((r) => r.value?.op === 'r');
    const readKeys = new Set(keysOf(reads));
    const us = Array.from({ length: ROWS }, (_, i) => i + 1).filter((key) => key % 4 !== 0);
    expect({ missing: us.filter((key) => !readKeys.has(key)).length, notUs: reads.filter((r) => r.value?.after?.region !== 'us').length }).toEqual({ missing: 0, notUs: 0 });
    expect(reads.length - US).toBeLessThanOrEqual(CHUNK_ROWS);
    // Counted once: the chunk re-sent after the kill had not been saved.
    expect(Number((await request(id)).rows_sent)).toBe(US);
    await fixture.expectTopicEqualsSource(TABLE);
  });

  it('runs the predicate read-only: a request whose condition writes fails, naming why, and capture goes on', async () => {
    await fixture.db.pool.query(`CREATE TABLE public.written (at timestamptz)`);
    await fixture.db.pool.query(`CREATE FUNCTION public.writes() RETURNS boolean LANGUAGE sql AS 'INSERT INTO public.written VALUES (now()) RETURNING true'`);
    // PostgreSQL plans the condition without running it, so the command accepts it; capture's read-only chunk refuses the write.
    const command = snapshot(['--table', TABLE, '--where', 'public.writes()', '--wait']);
    expect(await exitedByItself(command, 'paysync snapshot --wait', 300_000)).toBe(1);
    expect(command.output()).toMatch(/failed: PostgreSQL refused the snapshot query: cannot execute INSERT in a read-only transaction/);
    expect(Number((await fixture.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM public.written')).rows[0].n)).toBe(0);
    await fixture.db.pool.query(`UPDATE ${TABLE} SET amount = 1.2345 WHERE id = 1`);
    await fixture.waitCaughtUp(capture);
    expect(capture.child.exitCode).toBeNull();
  });
});
