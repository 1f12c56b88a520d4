import { columnPolicySettings, ConfigError, type ConfigProblem } from '@paysync/config';
import { readTableShape, type SqlReader } from './catalog';
import { hmacHex, hmacPads, type HmacPads } from './column-hash';
import type { ColumnShape, TableShape } from './table-shape';

const EXCLUDE = columnPolicySettings.columnExclude.env;
const HASH = columnPolicySettings.columnHash.env;
const HASH_KEY = columnPolicySettings.columnHashKey.env;

/** The values of columnPolicySettings, and PAYSYNC_TABLES (a listed column's table must be captured). */
export interface ColumnPolicySettings {
  tables: readonly string[];
  columnExclude?: readonly string[];
  columnHash?: readonly string[];
  columnHashKey?: string;
}

/** One table under the policy: what of it leaves capture, and how. */
export interface TableMask {
  /** The shape events carry: excluded columns left out, hashed ones text (nullable as before). */
  shape: TableShape;
  /** Names of the hashed columns. */
  hashed: ReadonlySet<string>;
  /**
   * A row of PostgreSQL text as it may leave capture: excluded columns dropped, each hashed value
   * replaced by its HMAC; null, absent and marker values (unchanged TOAST) stay as they are.
   */
  maskRow<M>(raw: Readonly<Record<string, string | null | M>>): Record<string, string | null | M>;
}

interface TableRules {
  excluded: Set<string>;
  hashed: Set<string>;
}

/** What a hashed column becomes: the HMAC's hex, as text. */
function hashedColumn(column: ColumnShape): ColumnShape {
  return { name: column.name, nullable: column.nullable, typeName: 'text', pgType: 'text', typeOid: 25, category: 'base' };
}

/** "schema.table.column" (the settings accept exactly two dots). */
function splitColumnName(item: string): { table: string; column: string } {
  const dot = item.lastIndexOf('.');
  return { table: item.slice(0, Math.max(dot, 0)), column: item.slice(dot + 1) };
}

/**
 * PAYSYNC_COLUMN_EXCLUDE and PAYSYNC_COLUMN_HASH (docs/security-masking.md): the one place capture
 * masks what it sends and the reconciler learns what the target holds instead.
 */
export class ColumnPolicy {
  /** Private so the key never shows when the policy is logged or serialised. */
  readonly #key: Buffer | undefined;

  private constructor(
    private readonly rules: ReadonlyMap<string, TableRules>,
    key: Buffer | undefined,
  ) {
    this.#key = key;
  }

  /** The policy the settings describe; a ConfigError names every setting that is wrong. */
  static fromSettings(settings: ColumnPolicySettings): ColumnPolicy {
    const problems: ConfigProblem[] = [];
    const rules = new Map<string, TableRules>();
    const add = (env: string, items: readonly string[] | undefined, kind: keyof TableRules) => {
      for (const item of items ?? []) {
        const { table, column } = splitColumnName(item);
        if (!settings.tables.includes(table)) {
          problems.push({ env, message: `names ${item}, but ${table || item} is not in PAYSYNC_TABLES: only columns of captured tables can be filtered` });
          continue;
        }
        const entry = rules.get(table) ?? { excluded: new Set<string>(), hashed: new Set<string>() };
        rules.set(table, entry);
        entry[kind].add(column);
      }
    };
    add(EXCLUDE, settings.columnExclude, 'excluded');
    add(HASH, settings.columnHash, 'hashed');
    for (const [table, { excluded, hashed }] of rules) {
      for (const column of hashed) {
        if (excluded.has(column)) problems.push({ env: HASH, message: `names ${table}.${column}, which ${EXCLUDE} names too: a column is either left out or hashed` });
      }
    }
    const hashes = [...rules.values()].some((r) => r.hashed.size > 0);
    if (hashes && !settings.columnHashKey) {
      problems.push({ env: HASH_KEY, message: `is required when ${HASH} names columns: ${columnPolicySettings.columnHashKey.description}` });
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return new ColumnPolicy(rules, settings.columnHashKey ? Buffer.from(settings.columnHashKey, 'utf8') : undefined);
  }

  /** schema.table of every table with a listed column. */
  get tables(): string[] {
    return [...this.rules.keys()];
  }

  /** The padded hash key, for computing the same HMAC in SQL; undefined when nothing is hashed. */
  hmacPads(): HmacPads | undefined {
    return this.#key && [...this.rules.values()].some((r) => r.hashed.size > 0) ? hmacPads(this.#key) : undefined;
  }

  /** What is wrong with the policy for this shape: a listed column it lacks, an excluded key column. */
  problemsWith(shape: TableShape): ConfigProblem[] {
    const label = `${shape.schema}.${shape.table}`;
    const rules = this.rules.get(label);
    if (!rules) return [];
    const names = shape.columns.map((c) => c.name);
    const problems: ConfigProblem[] = [];
    for (const [env, columns] of [[EXCLUDE, rules.excluded], [HASH, rules.hashed]] as const) {
      for (const column of columns) {
        if (!names.includes(column)) problems.push({ env, message: `names ${label}.${column}, but ${label} has no column "${column}" (its columns: ${names.join(', ')})` });
      }
    }
    for (const column of rules.excluded) {
      if (shape.primaryKey.includes(column)) {
        problems.push({ env: EXCLUDE, message: `names ${label}.${column}, a primary-key column: events are keyed by it, so it cannot be left out (${HASH} may hash it instead)` });
      }
    }
    return problems;
  }

  /**
   * The policy for one shape of a table. Throws a ConfigError when it does not fit the shape, so a
   * renamed or dropped protected column stops capture instead of flowing unmasked.
   */
  forTable(shape: TableShape): TableMask {
    const problems = this.problemsWith(shape);
    if (problems.length > 0) throw new ConfigError(problems);
    const rules = this.rules.get(`${shape.schema}.${shape.table}`);
    if (!rules) return { shape, hashed: new Set(), maskRow: (raw) => raw };
    const { excluded, hashed } = rules;
    const key = this.#key as Buffer;
    return {
      shape: { ...shape, columns: shape.columns.filter((c) => !excluded.has(c.name)).map((c) => (hashed.has(c.name) ? hashedColumn(c) : c)) },
      hashed,
      maskRow: <M>(raw: Readonly<Record<string, string | null | M>>) => {
        const masked: Record<string, string | null | M> = {};
        for (const [name, value] of Object.entries(raw)) {
          if (excluded.has(name)) continue;
          masked[name] = typeof value === 'string' && hashed.has(name) ? hmacHex(key, value) : value;
        }
        return masked;
      },
    };
  }
}

/** Checks the policy against the source's current tables at start: every problem at once, as a ConfigError. */
export async function checkColumnPolicy(db: SqlReader, policy: ColumnPolicy): Promise<void> {
  const problems: ConfigProblem[] = [];
  for (const table of policy.tables) {
    const dot = table.indexOf('.');
    problems.push(...policy.problemsWith(await readTableShape(db, table.slice(0, dot), table.slice(dot + 1))));
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
