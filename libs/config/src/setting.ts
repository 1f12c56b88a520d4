import { readFileSync } from 'node:fs';

/**
 * One setting: where it comes from (its environment variable name), what it means, and how its raw
 * text becomes a typed value. The same description feeds `--help`, the README table and errors.
 */
export interface Setting<T> {
  readonly env: string;
  readonly description: string;
  /** What a valid value looks like; shown in errors and help. */
  readonly example: string;
  /** Absent and not required: the value used. `undefined` with `required: false` means "unset". */
  readonly defaultValue?: T;
  readonly required: boolean;
  /** Secret values are never echoed in errors, help or logs. */
  readonly secret: boolean;
  parse(raw: string): T;
  /**
   * A rule over this setting and others of the same command (e.g. "a SASL mechanism needs a user
   * name"), run once every setting is parsed; returns what is wrong, or undefined. `valueOf` takes an
   * environment variable name and gives that setting's value (undefined when unset or not a
   * setting of this command).
   */
  readonly crossCheck?: (value: T, valueOf: (env: string) => unknown) => string | undefined;
}

interface Common<T> {
  description: string;
  example?: string;
  default?: T;
  secret?: boolean;
}

function define<T>(env: string, options: Common<T>, example: string, parse: (raw: string) => T): Setting<T> {
  return {
    env,
    description: options.description,
    example: options.example ?? (options.default !== undefined ? String(options.default) : example),
    defaultValue: options.default,
    required: options.default === undefined,
    secret: options.secret ?? false,
    parse,
  };
}

export function text(env: string, options: Common<string> & { pattern?: RegExp; patternText?: string }): Setting<string> {
  return define(env, options, 'text', (raw) => {
    if (raw.length === 0) throw new Error('must not be empty');
    if (options.pattern && !options.pattern.test(raw)) {
      throw new Error(`must match ${options.patternText ?? String(options.pattern)}`);
    }
    return raw;
  });
}

export function url(env: string, options: Common<string> & { protocols: readonly string[] }): Setting<string> {
  const example = `${options.protocols[0]}//host:port/...`;
  return define(env, options, example, (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new Error(`is not a URL; expected something like ${options.example ?? example}`);
    }
    if (!options.protocols.includes(parsed.protocol)) {
      throw new Error(`must start with ${options.protocols.map((p) => `${p}//`).join(' or ')}`);
    }
    return raw;
  });
}

export function integer(env: string, options: Common<number> & { min?: number; max?: number }): Setting<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
  return define(env, options, `${min >= 0 ? min : 0}..${max}`, (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new Error('must be a whole number');
    const value = Number(raw.trim());
    if (value < min || value > max) throw new Error(`must be between ${min} and ${max}`);
    return value;
  });
}

export function oneOf<const V extends string>(env: string, values: readonly V[], options: Common<V>): Setting<V> {
  return define(env, options, values.join(' | '), (raw) => {
    const value = raw.trim() as V;
    if (!values.includes(value)) throw new Error(`must be one of: ${values.join(', ')}`);
    return value;
  });
}

export function flag(env: string, options: Common<boolean>): Setting<boolean> {
  return define(env, options, 'true | false', (raw) => {
    const value = raw.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    throw new Error('must be true or false');
  });
}

/** A comma-separated list; each item trimmed, empty items rejected, each checked by `item`. */
export function list(
  env: string,
  options: Common<string[]> & { item?: (value: string) => void; allowEmpty?: boolean },
): Setting<string[]> {
  return define(env, options, 'a,b,c', (raw) => {
    const items = raw.split(',').map((s) => s.trim());
    if (items.some((s) => s.length === 0) && !(options.allowEmpty && raw.trim() === '')) {
      throw new Error('is a comma-separated list and must not contain empty items');
    }
    const values = raw.trim() === '' ? [] : items;
    for (const value of values) {
      try {
        options.item?.(value);
      } catch (err) {
        throw new Error(`item "${value}" ${(err as Error).message}`);
      }
    }
    return values;
  });
}

const PEM_LABELS = { certificate: /-----BEGIN CERTIFICATE-----/, 'private key': /-----BEGIN [A-Z ]*PRIVATE KEY-----/ } as const;

/**
 * The path of a PEM file that must exist and hold a certificate or a private key: a wrong path or
 * a file of the wrong kind is a start-up error naming the setting, not a TLS failure later.
 */
export function pemFile(env: string, options: Common<string> & { holds: keyof typeof PEM_LABELS }): Setting<string> {
  return define(env, options, `/etc/paysync/tls/${options.holds === 'certificate' ? 'ca.crt' : 'client.key'}`, (raw) => {
    let text: string;
    try {
      text = readFileSync(raw.trim(), 'utf8');
    } catch (err) {
      throw new Error(`names a file that cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (!PEM_LABELS[options.holds].test(text)) throw new Error(`names a file that holds no PEM ${options.holds}`);
    return raw.trim();
  });
}

/** The same setting with a rule over it and other settings of the command (see Setting.crossCheck). */
export function withCrossCheck<T>(setting: Setting<T>, crossCheck: (value: T, valueOf: (env: string) => unknown) => string | undefined): Setting<T> {
  return { ...setting, crossCheck };
}

/** The same setting, but it may be left unset (its value is then `undefined`). */
export function optional<T>(setting: Setting<T>): Setting<T | undefined> {
  return { ...setting, required: false } as Setting<T | undefined>;
}
