import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(REPO, path), 'utf8');

/** Node 20 reached its end of life on 2026-04-30: every place that picks the runtime picks 22. */
describe('the runtime', () => {
  it('is Node 22 in the image, in engines and in CI', () => {
    expect(read('deploy/Dockerfile').match(/^FROM \S+/gm)).toEqual(['FROM node:22-bookworm-slim', 'FROM node:22-bookworm-slim']);
    expect((JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node).toBe('>=22');
    const ci = read('.ci/run');
    // Node 22 goes first on PATH before anything runs npm.
    expect(ci.indexOf('scripts/runtime/node22.sh')).toBeGreaterThan(-1);
    expect(ci.indexOf('scripts/runtime/node22.sh')).toBeLessThan(ci.indexOf('npm ci'));
    expect(read('scripts/runtime/node22.sh')).toMatch(/^version=22$/m);
  });
});
