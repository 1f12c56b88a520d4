import { lintChart } from '../../support/helm';
import { VALUE_SETS } from './value-sets';

describe('helm lint --strict', () => {
  it.each(Object.entries(VALUE_SETS))('passes with %s', (_name, values) => {
    const output = lintChart(values);
    expect(output).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(output).not.toMatch(/\[(WARNING|ERROR)\]/);
  });
});
