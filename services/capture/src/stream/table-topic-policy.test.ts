import { historyLoss, tableTopicConfig } from './table-topic-policy';

describe('table topic policy', () => {
  it('creates table topics compacted with the configured delete retention and compaction lag', () => {
    expect(tableTopicConfig({ topicDeleteRetentionMs: 1000, topicMinCompactionLagMs: 2000 })).toEqual({
      'cleanup.policy': 'compact',
      'delete.retention.ms': '1000',
      'min.compaction.lag.ms': '2000',
    });
  });

  it('says a topic loses history when it deletes by time or size, and not when it is compacted only or kept forever', () => {
    expect(historyLoss(new Map([['cleanup.policy', 'compact']]))).toBeUndefined();
    expect(historyLoss(new Map([['cleanup.policy', 'delete'], ['retention.ms', '-1'], ['retention.bytes', '-1']]))).toBeUndefined();
    expect(historyLoss(new Map([['cleanup.policy', 'delete'], ['retention.ms', '604800000'], ['retention.bytes', '-1']]))).toMatch(/^cleanup.policy=delete with retention.ms=604800000 .*set cleanup.policy=compact/);
    expect(historyLoss(new Map([['cleanup.policy', 'compact,delete'], ['retention.ms', '-1'], ['retention.bytes', '1073741824']]))).toMatch(/retention.bytes=1073741824/);
  });
});
