import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigProblem } from './config-error';
import type { Setting } from './setting';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Settings = Record<string, Setting<any>>;

export type ConfigOf<S extends Settings> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never;
};

export interface ConfigSources {
  /** Environment variables; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON file whose keys are setting names; defaults to env PAYSYNC_CONFIG_FILE. */
  file?: string;
}

export const CONFIG_FILE_ENV = 'PAYSYNC_CONFIG_FILE';

function readJsonFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ env: CONFIG_FILE_ENV, message: `names ${path}, which cannot be read: ${(err as Error).message}` }]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ env: CONFIG_FILE_ENV, message: `names ${path}, which is not valid JSON: ${(err as Error).message}` }]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([{ env: CONFIG_FILE_ENV, message: `names ${path}, which must hold a JSON object of SETTING: value pairs` }]);
  }
  return parsed as Record<string, unknown>;
}

/** The raw text of one setting: environment first, then `<NAME>_FILE`, then the config file. */
function rawValue(setting: Setting<unknown>, env: NodeJS.ProcessEnv, file: Record<string, unknown>): string | undefined {
  const direct = env[setting.env];
  if (direct !== undefined && direct !== '') return direct;
  const secretPath = env[`${setting.env}_FILE`];
  if (secretPath) {
    try {
      return readFileSync(secretPath, 'utf8').trim();
    } catch (err) {
      throw new Error(`_FILE names ${secretPath}, which cannot be read: ${(err as Error).message}`);
    }
  }
  const fromFile = file[setting.env];
  if (fromFile === undefined || fromFile === null) return undefined;
  return Array.isArray(fromFile) ? fromFile.join(',') : String(fromFile);
}

/**
 * Reads and validates every setting at once. Throws a ConfigError naming each missing or invalid
 * setting, what is wrong and what a valid value looks like; secret values are never echoed.
 */
export function loadConfig<S extends Settings>(settings: S, sources: ConfigSources = {}): ConfigOf<S> {
  const env = sources.env ?? process.env;
  const filePath = sources.file ?? env[CONFIG_FILE_ENV];
  const file = filePath ? readJsonFile(filePath) : {};
  const known = new Set(Object.values(settings).map((s) => s.env));
  const problems: ConfigProblem[] = Object.keys(file)
    .filter((key) => !known.has(key))
    .map((key) => ({ env: key, message: `in ${filePath} is not a setting of this command (misspelt?)` }));

  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings)) {
    let raw: string | undefined;
    try {
      raw = rawValue(setting, env, file);
    } catch (err) {
      problems.push({ env: setting.env, message: (err as Error).message });
      continue;
    }
    if (raw === undefined) {
      if (setting.required) {
        problems.push({ env: setting.env, message: `is required: ${setting.description} Example: ${setting.example}` });
      }
      values[key] = setting.defaultValue;
      continue;
    }
    try {
      values[key] = setting.parse(raw);
    } catch (err) {
      const shown = setting.secret ? '(secret value hidden)' : JSON.stringify(raw);
      problems.push({ env: setting.env, message: `=${shown} ${(err as Error).message}. Example: ${setting.example}` });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const byEnv = new Map(Object.entries(settings).map(([key, setting]) => [setting.env, values[key]]));
  for (const [key, setting] of Object.entries(settings)) {
    const problem = setting.crossCheck?.(values[key], (env) => byEnv.get(env));
    if (problem !== undefined) problems.push({ env: setting.env, message: problem });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values as ConfigOf<S>;
}
