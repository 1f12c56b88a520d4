import { removeAppliedTargets, startAppliedTargets, type AppliedTarget } from './applied-targets';
import { CaptureFixture } from './capture-fixture';
import type { PaysyncProcess } from './paysync-process';

/** A captured source and its applied targets, filled in by the describe's beforeAll. */
export interface AppliedSource {
  source: CaptureFixture;
  capture: PaysyncProcess;
  targets: AppliedTarget[];
  /** The applied target of that kind. */
  target(kind: AppliedTarget['kind']): AppliedTarget;
}

/**
 * Registers beforeAll/afterAll in the calling describe: a source made by `ddl`, capture streaming
 * its `tables`, and one apply per target kind (PostgreSQL and MariaDB), all removed afterwards.
 */
export function useAppliedSource(ddl: string[], tables: string[], applySettings: Parameters<typeof startAppliedTargets>[3] = {}): AppliedSource {
  const state = {
    targets: [] as AppliedTarget[],
    target: (kind: AppliedTarget['kind']) => {
      const found = state.targets.find((t) => t.kind === kind);
      if (!found) throw new Error(`no ${kind} target`);
      return found;
    },
  } as AppliedSource;
  beforeAll(async () => {
    state.source = await CaptureFixture.create(ddl);
    state.capture = await state.source.startCaptureStreaming(tables);
    state.targets = await startAppliedTargets(state.source, tables, ['postgres', 'mysql'], applySettings);
  });
  afterAll(async () => {
    await removeAppliedTargets(state.targets);
    await state.source?.cleanup();
  });
  return state;
}
