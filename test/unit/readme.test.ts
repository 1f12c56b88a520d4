import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../../services/cli/src/commands';
import { settingsMarkdown } from '../../services/cli/src/settings-table';

describe('README', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

  it('has the configuration table of every setting, as the code defines them (regenerate: npm run docs:config)', () => {
    const start = '<!-- settings-table:start -->\n';
    const table = readme.slice(readme.indexOf(start) + start.length, readme.indexOf('\n<!-- settings-table:end -->'));
    expect(table).toBe(settingsMarkdown(COMMANDS));
  });

  it('names the test command CI runs', () => {
    expect(readme).toContain('npm test');
    expect(readFileSync(join(__dirname, '..', '..', '.ci', 'run'), 'utf8')).toContain('npm test');
  });
});
