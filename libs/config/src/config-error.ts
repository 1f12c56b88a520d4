export interface ConfigProblem {
  readonly env: string;
  readonly message: string;
}

/** Every configuration problem found at start, reported together so one fix round is enough. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `Configuration is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.env}${/^[=_]/.test(p.message) ? '' : ' '}${p.message}`).join('\n') +
        '\nSettings come from environment variables, from a JSON file named by PAYSYNC_CONFIG_FILE, ' +
        'or for secrets from a file named by <SETTING>_FILE. `paysync <command> --help` lists them.',
    );
    this.name = 'ConfigError';
  }
}
