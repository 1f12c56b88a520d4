import { exitedByItself } from '../../support/paysync-process';
import { startPrivateRegistry, type PrivateRegistry } from '../../support/private-registry';
import { sleep, waitUntil } from '../../support/wait';
import { logged, loggedAt, running } from '../capture/ha/replica-health';
import { OutagePipeline } from './outage-pipeline';

jest.setTimeout(600_000);

/** How long the registry stays stalled: the outage issue #12 names, a downtime rather than a wait. */
const STALL_MS = 20_000;

/**
 * The whole pipeline under the payments load with a registry of the test's own (the stack's is
 * shared, never stopped), stalled (SIGSTOP) for 20 s while both applies are restarted: the old ones
 * are SIGTERMed in the stall, new ones start while the registry still answers nothing, and wait.
 */
describe('outage: the schema registry stalls while apply restarts', () => {
  let registry: PrivateRegistry;
  let pipeline: OutagePipeline;

  beforeAll(async () => {
    registry = await startPrivateRegistry();
    pipeline = await OutagePipeline.create({ registryUrl: registry.url });
  });
  afterAll(async () => {
    registry?.resume();
    try {
      await pipeline?.cleanup();
    } finally {
      await registry?.stop();
    }
  });

  it('the old applies end cleanly, the new ones wait out the stall, and the targets end equal to the source', async () => {
    await pipeline.start();
    const stalledAt = Date.now();
    registry.pause();
    const replaced = pipeline.targets.map((target) => ({ kind: target.kind, ...pipeline.replaceApply(target) }));
    const oldExits = replaced.map(({ kind, old }) => exitedByItself(old, `the old ${kind} apply after SIGTERM`).then((code) => ({ kind, code, afterMs: Date.now() - stalledAt })));
    await sleep(STALL_MS - (Date.now() - stalledAt));
    // Alive through the stall, and not applying yet: nothing can be decoded without the registry.
    expect(pipeline.exitedByThemselves()).toEqual([]);
    const runningInStall = replaced.filter(({ next }) => logged(next, 'apply running').length > 0).map(({ kind }) => kind);
    const resumedAt = Date.now();
    registry.resume();

    // SIGTERM ended each old apply cleanly though the registry answered nothing.
    const exits = await Promise.all(oldExits);
    expect(exits.map(({ kind, code, afterMs }) => `${kind}: exit ${code}${afterMs < resumedAt - stalledAt ? '' : ' after the stall'}`)).toEqual(replaced.map(({ kind }) => `${kind}: exit 0`));
    for (const { kind, next } of replaced) {
      await waitUntil(() => `the new ${kind} apply to run after the stall; it said:\n${next.output().slice(-3000)}`, () => logged(next, 'apply running').length > 0 || !running(next), 120_000);
    }
    const summary = await pipeline.expectIntact();
    const runningAfter = replaced.map(({ kind, next }) => `${kind} ${loggedAt(logged(next, 'apply running')[0]) - resumedAt} ms`);
    process.stdout.write(
      `registry stall: ${STALL_MS} ms; old applies exited ${exits.map((e) => `${e.kind} ${e.code} ${e.afterMs} ms`).join(', ')} into it; ` +
        `new applies running in the stall: [${runningInStall.join(', ')}], after SIGCONT: ${runningAfter.join(', ')}; ${summary}\n`,
    );
  });
});
