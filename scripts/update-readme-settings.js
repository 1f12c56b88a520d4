'use strict';
// Rewrites the configuration table in README.md from the settings the code defines
// (`npm run docs:config`); test/unit/readme.test.ts fails when the two drift apart.
const fs = require('node:fs');
const path = require('node:path');
const { settingsMarkdown } = require('../services/cli/dist/settings-table.js');
const { COMMANDS } = require('../services/cli/dist/commands.js');

const file = path.join(__dirname, '..', 'README.md');
const readme = fs.readFileSync(file, 'utf8');
const start = '<!-- settings-table:start -->';
const end = '<!-- settings-table:end -->';
if (!readme.includes(start) || !readme.includes(end)) throw new Error(`README.md lacks the ${start} / ${end} markers`);
const updated = `${readme.slice(0, readme.indexOf(start) + start.length)}\n${settingsMarkdown(COMMANDS)}\n${readme.slice(readme.indexOf(end))}`;
fs.writeFileSync(file, updated);
console.log('README.md configuration table updated');
