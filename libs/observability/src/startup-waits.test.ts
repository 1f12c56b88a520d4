import { SettingError, UnreachableError, type Dependency } from '@paysync/config';
import { createLogger } from './logger';
import { Outages } from './outages';
import { retryDelayMs, sleepUnless, StartAborted, StartupWaits } from './startup-waits';

const registry: Dependency = { kind: 'registry', name: 'Schema registry', address: 'registry:8080', setting: 'PAYSYNC_SCHEMA_REGISTRY_URL' };
const logger = createLogger({ service: 'test', level: 'silent' });

function waits(): { waits: StartupWaits; outages: Outages } {
  const outages = new Outages(logger);
  return { waits: new StartupWaits(logger, outages), outages };
}

/** A step that fails with each of `errors` in turn, then returns 'done'. */
function failing(...errors: Error[]): () => Promise<string> {
  return async () => {
    const next = errors.shift();
    if (next) throw next;
    return 'done';
  };
}

describe('StartupWaits', () => {
  it('retries a step while its dependency does not answer, not ready meanwhile, ready once it answers', async () => {
    const { waits: w, outages } = waits();
    const down = new UnreachableError(registry, 'connect ECONNREFUSED');
    let seenWhileWaiting: string[] = [];
    const step = failing(down, down);
    const done = w.untilDone('registry', async () => {
      seenWhileWaiting = outages.current;
      return step();
    });
    await expect(done).resolves.toBe('done');
    expect(seenWhileWaiting).toEqual([down.message]);
    expect(outages.current).toEqual([]);
    expect(w.waitingFor).toBeUndefined();
  });

  it('throws other errors at once, unless told to retry them', async () => {
    const refused = new SettingError(['PAYSYNC_SCHEMA_REGISTRY_PASSWORD'], 'the registry refused the password', 'Check it.');
    await expect(waits().waits.untilDone('registry', failing(refused))).rejects.toBe(refused);
    await expect(waits().waits.untilDone('topics', failing(new Error('waiting for topics t')), { otherErrors: 'retry' })).resolves.toBe('done');
  });

  it('gives up a wait at once on abort(), and undoes what its step makes too late', async () => {
    const { waits: w } = waits();
    let made: () => void = () => undefined;
    let undone = false;
    const slow = new Promise<void>((resolve) => (made = resolve));
    const started = Date.now();
    const giving = w.untilDone('Kafka producer', () => slow, { late: async () => void (undone = true) });
    w.abort();
    await expect(giving).rejects.toBeInstanceOf(StartAborted);
    expect(Date.now() - started).toBeLessThan(1000);
    made();
    await new Promise((resolve) => setImmediate(resolve));
    expect(undone).toBe(true);
    await expect(w.untilDone('next', async () => 'never run')).rejects.toBeInstanceOf(StartAborted);
  });

  it('ends a retry wait at once on abort()', async () => {
    const { waits: w } = waits();
    const started = Date.now();
    const waiting = w.untilDone('registry', failing(new UnreachableError(registry, 'connect ECONNREFUSED'), new UnreachableError(registry, 'connect ECONNREFUSED')));
    setTimeout(() => w.abort(), 50);
    await expect(waiting).rejects.toBeInstanceOf(StartAborted);
    expect(Date.now() - started).toBeLessThan(400);
  });
});

describe('retry waits', () => {
  it('double from 0.5 s to 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 20].map(retryDelayMs)).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('sleepUnless says whether it slept all of it', async () => {
    const controller = new AbortController();
    await expect(sleepUnless(1, controller.signal)).resolves.toBe(true);
    const cut = sleepUnless(60_000, controller.signal);
    controller.abort();
    await expect(cut).resolves.toBe(false);
  });
});
