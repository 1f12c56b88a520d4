import { deadLetterTopic, keySubject, topicName, valueSubject } from './topics';

describe('topic and subject names', () => {
  it('topic per table: <prefix>.<schema>.<table>, unsafe characters replaced', () => {
    expect(topicName('paysync', 'public', 'payments')).toBe('paysync.public.payments');
    expect(topicName('pay-sync', 'Billing', 'invoice_lines')).toBe('pay-sync.Billing.invoice_lines');
    expect(topicName('p', 'my schema', 'Straße/€')).toBe('p.my_schema.Stra_e__');
  });

  it('subjects follow TopicNameStrategy', () => {
    expect(keySubject('p.public.t')).toBe('p.public.t-key');
    expect(valueSubject('p.public.t')).toBe('p.public.t-value');
  });

  it('dead-letter topic per consumer group', () => {
    expect(deadLetterTopic('paysync', 'apply-replica')).toBe('paysync.dlq.apply-replica');
    expect(deadLetterTopic('paysync', 'apply:eu west')).toBe('paysync.dlq.apply_eu_west');
  });
});
