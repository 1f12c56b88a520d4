import { PAYMENTS_COMPARED, PAYMENTS_TABLES, TOTAL_BALANCE } from '../../../demo/payments-workload';
import { BidirectionalPair, type Side } from '../../support/bidirectional-pair';
import { stableJson } from '../../support/capture-fixture';
import { expectKilled } from '../../support/paysync-process';
import { CHANGES_PER_TRANSFER, RangeTransfers } from '../../support/range-transfers';
import { readRawTopic, readTopic } from '../../support/topic-reader';
import { sleep } from '../../support/wait';

jest.setTimeout(600_000);

/** Each side writes its own accounts: the safe pattern of a migration (docs/bidirectional.md). */
const RANGES: Record<Side, [number, number]> = { a: [1, 50], b: [51, 100] };
const LOAD_MS = 60_000;

/**
 * The migration's steady state under load: A and B each take transfers on their own accounts while
 * every paysync process of the pair is SIGKILLed once and restarted. Both end equal, money is
 * conserved on both, no change echoes (each side's topics hold exactly its own changes) and no
 * conflict is recorded.
 */
describe('bidirectional sync under load: two databases in step both ways, no echo, through a kill of every process', () => {
  let pair: BidirectionalPair;

  beforeAll(async () => {
    pair = await BidirectionalPair.runningPayments();
  });

  afterAll(async () => {
    await pair?.cleanup();
  });

  /** Distinct row events (topic, key, version) a side's capture wrote, snapshot reads aside: re-sent ones count once. */
  const ownEvents = async (side: Side): Promise<number> => {
    const seen = new Set<string>();
    for (const table of PAYMENTS_TABLES) {
      for (const r of await readTopic(pair.a.kafka, pair.side(side).topic(table))) {
        if (r.value && r.value.op !== 'r') seen.add(`${table} ${stableJson(r.key)} ${r.value.source.lsn} ${r.value.source.seq}`);
      }
    }
    return seen.size;
  };

  const killAndRestart = async (what: 'capture' | 'apply', side: Side): Promise<void> => {
    const process = what === 'capture' ? pair.captures[side]! : pair.applies[side]!;
    process.kill('SIGKILL');
    await expectKilled(process);
    if (what === 'capture') await pair.startCapture(side);
    else pair.startApply(side);
  };

  test('60 s of transfers on each side, each process killed once: equal, conserved, no echo, no conflict', async () => {
    const writers = { a: new RangeTransfers(pair.a.db.pool, ...RANGES.a), b: new RangeTransfers(pair.b.db.pool, ...RANGES.b) };
    writers.a.start();
    writers.b.start();
    const kills: ['capture' | 'apply', Side][] = [['capture', 'a'], ['apply', 'b'], ['capture', 'b'], ['apply', 'a']];
    const started = Date.now();
    for (const [i, [what, side]] of kills.entries()) {
      await sleep(started + ((i + 1) * LOAD_MS) / (kills.length + 1) - Date.now());
      await killAndRestart(what, side);
    }
    await sleep(started + LOAD_MS - Date.now());
    await writers.a.stop();
    await writers.b.stop();
    expect(writers.a.committed).toBeGreaterThan(100);
    expect(writers.b.committed).toBeGreaterThan(100);

    await pair.waitEqual(PAYMENTS_COMPARED, 300_000);
    for (const side of ['a', 'b'] as const) {
      const { rows } = await pair.side(side).db.pool.query<{ total: string }>('SELECT sum(balance)::text AS total FROM accounts');
      expect({ side, total: rows[0].total }).toEqual({ side, total: TOTAL_BALANCE });
    }
    expect({ a: await ownEvents('a'), b: await ownEvents('b') }).toEqual({ a: writers.a.committed * CHANGES_PER_TRANSFER, b: writers.b.committed * CHANGES_PER_TRANSFER });
    expect({ intoA: (await readRawTopic(pair.a.kafka, pair.conflictTopic('a'))).length, intoB: (await readRawTopic(pair.a.kafka, pair.conflictTopic('b'))).length }).toEqual({ intoA: 0, intoB: 0 });
  });
});
