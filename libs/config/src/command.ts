import type { ConfigOf, Settings } from './load-config';

/** A `paysync <name>` command: the settings it reads and what it does with them. */
export interface Command<S extends Settings = Settings> {
  name: string;
  summary: string;
  /** Extra lines for `--help` (flags, what it does). */
  usage?: string;
  settings: S;
  /** Runs until done or stopped; resolves to the process exit code. */
  run(config: ConfigOf<S>, args: string[]): Promise<number>;
}

export function defineCommand<S extends Settings>(command: Command<S>): Command<S> {
  return command;
}

/** The run of a command whose service has not been built yet: says so and exits 2. */
export function notBuiltYet(name: string): () => Promise<number> {
  return async () => {
    process.stderr.write(`paysync ${name}: not built yet (see the README, "What is not done yet").\n`);
    return 2;
  };
}
