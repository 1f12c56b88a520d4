import { CONFIG_FILE_ENV, ConfigError, loadConfig, SettingError, settingsHelp, type Command } from '@paysync/config';
import { COMMANDS } from './commands';
import { settingsMarkdown } from './settings-table';

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'paysync: change-data-capture for payment databases (PostgreSQL -> Kafka -> PostgreSQL / MariaDB).',
    '',
    'Usage: paysync <command> [--config FILE] [options]',
    '       paysync <command> --help',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'settings'.padEnd(width)}  List every setting of every command (--markdown for the README table).`,
    '',
    `Settings come from environment variables, a JSON file (--config FILE or ${CONFIG_FILE_ENV}),`,
    'or for secrets <SETTING>_FILE naming a file that holds the value.',
  ].join('\n');
}

function commandHelp(command: Command): string {
  return [`paysync ${command.name}: ${command.summary}`, '', `Usage: paysync ${command.name} [--config FILE]`, command.usage ?? '', 'Settings:', settingsHelp(command.settings)]
    .filter((line) => line !== '')
    .join('\n');
}

function takeConfigFlag(args: string[]): { file?: string; rest: string[] } {
  const rest: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--config') file = args[++i];
    else if (args[i].startsWith('--config=')) file = args[i].slice('--config='.length);
    else rest.push(args[i]);
  }
  return { file, rest };
}

/** Entry point of the `paysync` binary; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${overview()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === 'settings') {
    process.stdout.write(`${args.includes('--markdown') ? settingsMarkdown(COMMANDS) : COMMANDS.map(commandHelp).join('\n\n')}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`paysync: unknown command "${name}".\n\n${overview()}\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return 0;
  }
  const { file, rest } = takeConfigFlag(args);
  let config;
  try {
    config = loadConfig(command.settings, { file });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`paysync ${command.name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  try {
    return await command.run(config, rest);
  } catch (err) {
    // A setting an outside system refused, from a command that does not report it itself.
    if (err instanceof SettingError) {
      process.stderr.write(`paysync ${command.name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
