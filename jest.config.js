'use strict';
// Tests run against the TypeScript sources of every workspace package (no build needed);
// type-checking is done once by `tsc` in `npm test`, so ts-jest only transpiles.
const fs = require('node:fs');
const path = require('node:path');

const moduleNameMapper = {};
for (const group of ['libs', 'services']) {
  for (const dir of fs.readdirSync(path.join(__dirname, group))) {
    const manifest = path.join(__dirname, group, dir, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    const { name, main } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    const entry = main.replace(/^dist\//, 'src/').replace(/\.js$/, '');
    moduleNameMapper[`^${name.replace('/', '\\/')}$`] = `<rootDir>/${group}/${dir}/${entry}`;
  }
}

const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] };
// Only source folders: .stack/ holds database files jest must never crawl.
const roots = ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/test'];
const common = { testEnvironment: 'node', moduleNameMapper, transform, rootDir: __dirname, roots };

module.exports = {
  // Two cores here, so jest's default (cores - 1) would run every suite one after another; the
  // integration suites mostly wait on the real services, so two at a time halves the wall time.
  maxWorkers: 2,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/libs/*/src/**/*.test.ts',
        '<rootDir>/services/*/src/**/*.test.ts',
        '<rootDir>/test/unit/**/*.test.ts',
      ],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      slowTestThreshold: 30,
    },
  ],
};
