import { applyGroupsStatus } from './apply-status';
import { pipelineVerdict, type PipelineStatus } from './pipeline-verdict';
import { reconcilerStatusFrom } from './reconciler-status';
import type { SlotStatus } from './source-status';

const NOW = Date.parse('2026-12-01T12:00:00Z');

const slot = (over: Partial<SlotStatus> = {}): SlotStatus => ({
  slot: 'paysync',
  plugin: 'pgoutput',
  active: true,
  activePid: 4242,
  walStatus: 'reserved',
  confirmedLsn: '0/16B3748',
  unconfirmedBytes: 0,
  retainedWalBytes: 1024,
  lagSeconds: 0.1,
  ...over,
});

function pipeline(over: Partial<PipelineStatus> = {}): PipelineStatus {
  return {
    at: new Date(NOW).toISOString(),
    source: { url: 'postgres://paysync:***@db/payments', status: { walLevel: 'logical', slots: [slot()], snapshotRequests: [] } },
    targets: [],
    reconcilers: [],
    ...over,
  };
}

describe('applyGroupsStatus', () => {
  const stored = [
    { groupId: 'g1', topic: 'p.public.accounts', partition: 0, nextOffset: 10n, updatedMs: NOW - 90_000 },
    { groupId: 'g1', topic: 'p.public.accounts', partition: 1, nextOffset: 5n, updatedMs: NOW - 1_000 },
    { groupId: 'g2', topic: 'p.public.accounts', partition: 0, nextOffset: 12n, updatedMs: NOW - 500 },
  ];
  const ends = new Map([
    ['p.public.accounts', [{ partition: 0, low: 0n, high: 12n }, { partition: 1, low: 0n, high: 5n }]],
    ['p.dlq.g2', [{ partition: 0, low: 1n, high: 4n }]],
    ['p.conflicts.g2', [{ partition: 0, low: 0n, high: 2n }]],
  ]);

  it('counts the records each group has not applied, how long it made no progress on them, its dead letters and conflicts', () => {
    expect(applyGroupsStatus(stored, ends, 'p', NOW)).toEqual([
      { groupId: 'g1', topics: 1, partitions: 2, behindRecords: 2, stalledSeconds: 90, lastAppliedAt: new Date(NOW - 1_000).toISOString(), deadLetters: 0, deadLetterTopic: 'p.dlq.g1', conflicts: 0, conflictTopic: 'p.conflicts.g1' },
      { groupId: 'g2', topics: 1, partitions: 1, behindRecords: 0, stalledSeconds: 0, lastAppliedAt: new Date(NOW - 500).toISOString(), deadLetters: 3, deadLetterTopic: 'p.dlq.g2', conflicts: 2, conflictTopic: 'p.conflicts.g2' },
    ]);
  });
});

describe('pipelineVerdict', () => {
  it('is ok when every slot streams, apply keeps up and the reconciler found nothing', () => {
    const reconciler = reconcilerStatusFrom('http://r:8080', 'paysync_reconcile_drift_rows{table="public.accounts",kind="missing"} 0\npaysync_reconcile_last_success_timestamp_seconds{table="public.accounts"} 1764590000\n');
    const status = pipeline({
      targets: [{ target: 'postgres://t', groups: [{ groupId: 'g', topics: 1, partitions: 1, behindRecords: 3, stalledSeconds: 2, lastAppliedAt: null, deadLetters: 0, deadLetterTopic: 'p.dlq.g', conflicts: 0, conflictTopic: 'p.conflicts.g' }] }],
      reconcilers: [{ url: 'http://r:8080', status: reconciler }],
    });
    expect(pipelineVerdict(status, 60)).toEqual({ state: 'ok', reasons: [] });
  });

  it('is degraded, with a reason each, on an inactive or lost slot, a stalled group, dead letters, conflicts and drift', () => {
    const reconciler = reconcilerStatusFrom(
      'http://r:8080',
      [
        '# HELP paysync_reconcile_drift_rows Rows found drifted',
        'paysync_reconcile_drift_rows{table="public.accounts",kind="different"} 2',
        'paysync_reconcile_drift_rows{table="public.ledger",kind="missing"} 1',
        'paysync_reconcile_last_success_timestamp_seconds{table="public.accounts"} 1764590000',
      ].join('\n'),
    );
    expect(reconciler).toMatchObject({ tables: 2, driftRows: 3, oldestSuccessAt: null });
    const status = pipeline({
      source: { url: 's', status: { walLevel: 'logical', slots: [slot({ slot: 'a', active: false }), slot({ slot: 'b', walStatus: 'lost', active: false })], snapshotRequests: [] } },
      targets: [{ target: 'mysql://t', groups: [{ groupId: 'g', topics: 1, partitions: 1, behindRecords: 7, stalledSeconds: 75, lastAppliedAt: null, deadLetters: 2, deadLetterTopic: 'p.dlq.g', conflicts: 1, conflictTopic: 'p.conflicts.g' }] }],
      reconcilers: [{ url: 'http://r:8080', status: reconciler }],
    });
    const verdict = pipelineVerdict(status, 60);
    expect(verdict.state).toBe('degraded');
    expect(verdict.reasons).toEqual([
      expect.stringMatching(/^slot a: no capture streams it/),
      expect.stringMatching(/^slot b: its WAL is lost/),
      'target mysql://t, group g: 7 records waiting and no progress for 75 s',
      'target mysql://t, group g: 2 dead letters in p.dlq.g',
      'target mysql://t, group g: 1 conflicts in p.conflicts.g',
      'reconciler http://r:8080: 3 drifted rows in its last runs',
      'reconciler http://r:8080: no table compared to the end yet',
    ]);
  });

  it('is unreachable when any part could not be read, naming each', () => {
    const status = pipeline({ targets: [{ target: 'postgres://t', groups: [], error: 'connect ECONNREFUSED 127.0.0.1:1' }], reconcilers: [{ url: 'http://r:1', error: 'fetch failed' }] });
    expect(pipelineVerdict(status, 60)).toEqual({ state: 'unreachable', reasons: ['target postgres://t: connect ECONNREFUSED 127.0.0.1:1', 'reconciler http://r:1: fetch failed'] });
  });
});
