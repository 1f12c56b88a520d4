import { createMetricsRegistry } from '@paysync/observability';
import { ApplyMetrics } from './apply-metrics';

describe('apply metrics', () => {
  it('shows every topic read with 0 dead letters before the first one arrives', async () => {
    const registry = createMetricsRegistry('apply');
    new ApplyMetrics(registry).readsTopics(['p.public.accounts', 'p.public.ledger']);
    const text = await registry.metrics();
    expect(text).toMatch(/^paysync_apply_dead_letters_total\{topic="p\.public\.accounts",service="apply"\} 0$/m);
    expect(text).toMatch(/^paysync_apply_dead_letters_total\{topic="p\.public\.ledger",service="apply"\} 0$/m);
  });
});
