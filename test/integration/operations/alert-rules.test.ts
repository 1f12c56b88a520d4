import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prometheusProgram } from '../../support/prometheus-programs';

const RULES_DIR = join(__dirname, '..', '..', '..', 'deploy', 'prometheus');

/** Runs promtool in deploy/prometheus; its whole output is in the failure message. */
function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync(prometheusProgram('promtool'), args, { cwd: RULES_DIR, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}${run.error ? String(run.error) : ''}` };
}

describe('deploy/prometheus alert rules', () => {
  it('are valid rules', () => {
    expect(promtool('check', 'rules', 'alerts.yml')).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('pass their promtool unit tests', () => {
    expect(promtool('test', 'rules', 'alerts.test.yml')).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('each have a runbook line that says what it means, what to check and what to run, and a unit test', () => {
    const rules = readFileSync(join(RULES_DIR, 'alerts.yml'), 'utf8');
    const tests = readFileSync(join(RULES_DIR, 'alerts.test.yml'), 'utf8');
    const alerts = rules.split(/^\s+- alert: /m).slice(1);
    expect(alerts.length).toBeGreaterThanOrEqual(11);
    const problems = alerts.flatMap((block) => {
      const name = block.split('\n')[0].trim();
      return [
        ...(/^\s+runbook: 'Means: .+ Check: .+ Run: .+'$/m.test(block) ? [] : [`${name}: no runbook line with Means, Check and Run`]),
        ...(tests.includes(`alertname: ${name}\n`) ? [] : [`${name}: no unit test in alerts.test.yml`]),
      ];
    });
    expect(problems).toEqual([]);
  });
});
