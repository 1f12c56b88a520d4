import { PAYMENTS_DDL, PAYMENTS_TABLES } from '../../../demo/payments-workload';
import { CaptureFixture } from '../../support/capture-fixture';
import { uniqueName } from '../../support/fixtures';
import type { PaysyncProcess } from '../../support/paysync-process';
import { waitUntil } from '../../support/wait';

jest.setTimeout(300_000);

const streaming = (capture: PaysyncProcess) => capture.logs().some((l) => l.msg === 'capture streaming');
const ended = (capture: PaysyncProcess) => capture.child.exitCode !== null || capture.child.signalCode !== null;

/**
 * Captures of different slots started at the same moment on one fresh database: each checks for
 * the publication, the slot and the progress table, finds them missing and creates them. Under
 * capture's start-up lock the second finds what the first made instead of failing on a duplicate
 * catalog key (pg_publication_pubname_index, pg_type_typname_nsp_index).
 */
describe('captures starting at the same moment on one database', () => {
  let source: CaptureFixture | undefined;

  afterEach(async () => {
    await source?.cleanup();
    source = undefined;
  });

  it.each([
    ['one publication', (slot: number) => ({ PAYSYNC_SLOT: uniqueName(`slot${slot}`) })],
    ['a publication each', (slot: number) => ({ PAYSYNC_SLOT: uniqueName(`slot${slot}`), PAYSYNC_PUBLICATION: uniqueName(`pub${slot}`) })],
  ])('all stream, sharing %s', async (_sharing, settings) => {
    source = await CaptureFixture.create(PAYMENTS_DDL);
    const fixture = source;
    // Own topic prefixes under the fixture's, so its clean-up removes their topics too.
    const captures = [1, 2, 3].map((n) => fixture.startCapture(PAYMENTS_TABLES, { ...settings(n), PAYSYNC_TOPIC_PREFIX: `${fixture.prefix}.c${n}` }));
    await waitUntil(
      () => `every capture to stream; outputs:\n${captures.map((c) => c.output().slice(-1500)).join('\n---\n')}`,
      () => captures.every(streaming) || captures.some(ended),
      120_000,
    );
    expect(captures.filter(ended).map((c) => c.output().slice(-2000))).toEqual([]);
    const { rows } = await fixture.db.pool.query<{ slots: string }>(`SELECT count(*) AS slots FROM pg_replication_slots WHERE database = current_database()`);
    expect(rows[0].slots).toBe('3');
  });
});
