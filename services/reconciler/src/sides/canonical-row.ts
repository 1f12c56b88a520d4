import type { ComparedColumn } from './side';

/**
 * The canonical text of a row, built in SQL so PostgreSQL and MariaDB/MySQL produce the same bytes
 * for the same values: numerics with their fixed scale, timestamps in UTC with microseconds,
 * booleans as 0/1, bytea as lower-case hex, each value of a type that could hold the separator
 * length-prefixed ("5:ab|cd") so no two rows concatenate alike, NULL as "-". A row's hash is the
 * md5 of that text. This is where a row is hashed.
 */
export type Dialect = 'postgres' | 'mysql';

function quote(dialect: Dialect, name: string): string {
  return dialect === 'postgres' ? `"${name.replace(/"/g, '""')}"` : `\`${name.replace(/`/g, '``')}\``;
}

/** One column's value as canonical text (NULL stays NULL). */
export function canonicalValue(dialect: Dialect, column: ComparedColumn): string {
  const c = column.sql ?? quote(dialect, column.name);
  const pg = dialect === 'postgres';
  if (column.category === 'array') return pg ? `array_to_json(${c}${arrayElementsAsText(column)})::text` : `CAST(${c} AS CHAR)`;
  switch (column.typeName) {
    case 'timestamptz':
      return pg ? `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')` : `DATE_FORMAT(${c}, '%Y-%m-%dT%H:%i:%s.%f')`;
    case 'timestamp':
      return pg ? `to_char(${c}, 'YYYY-MM-DD"T"HH24:MI:SS.US')` : `DATE_FORMAT(${c}, '%Y-%m-%dT%H:%i:%s.%f')`;
    case 'date':
      return pg ? `to_char(${c}, 'YYYY-MM-DD')` : `DATE_FORMAT(${c}, '%Y-%m-%d')`;
    case 'time':
      // Through interval, so 24:00:00 stays 24:00:00 (as on MariaDB) instead of wrapping to 00:00:00.
      return pg ? `to_char(${c}::interval, 'HH24:MI:SS.US')` : `TIME_FORMAT(${c}, '%H:%i:%s.%f')`;
    case 'bool':
      // NULL stays NULL (as on MariaDB), not '0' like false.
      return pg ? `CASE WHEN ${c} THEN '1' WHEN NOT ${c} THEN '0' END` : `CAST(${c} + 0 AS CHAR)`;
    case 'bytea':
      return pg ? `encode(${c}, 'hex')` : `LOWER(HEX(${c}))`;
    case 'money':
      return pg ? `(${c}::numeric)::text` : `CAST(${c} AS CHAR)`;
    default:
      return pg ? `${c}::text` : `CAST(${c} AS CHAR)`;
  }
}

/**
 * Apply writes an array to MariaDB as the JSON of its contract values, where exact numbers (numeric,
 * money, int8) are strings: PostgreSQL's side renders those elements as strings too.
 */
function arrayElementsAsText(column: ComparedColumn): string {
  const element = column.element?.typeName;
  if (element === 'money') return '::numeric[]::text[]';
  return element === 'numeric' || element === 'int8' ? '::text[]' : '';
}

/**
 * Types whose canonical text never holds the separator '|' and is never '-' (NULL): digits, signs,
 * dots, hex, dates. Their values need no length prefix, which would evaluate each twice (the
 * formatting of a timestamp included): MariaDB computes a repeated expression again.
 */
const SELF_DELIMITED = new Set(['int2', 'int4', 'int8', 'numeric', 'money', 'float4', 'float8', 'bool', 'date', 'time', 'timestamp', 'timestamptz', 'bytea', 'uuid']);

/** The md5 (hex) of the row's canonical text (row-hash.ts chooses between it and PostgreSQL's own hash). */
export function rowHashExpression(dialect: Dialect, columns: ComparedColumn[]): string {
  const pg = dialect === 'postgres';
  const parts = columns.map((column) => {
    const v = canonicalValue(dialect, column);
    if (column.category === 'base' && SELF_DELIMITED.has(column.typeName)) return pg ? `coalesce(${v}, '-')` : `COALESCE(${v}, '-')`;
    return pg ? `coalesce(length(${v})::text || ':' || ${v}, '-')` : `COALESCE(CONCAT(CHAR_LENGTH(${v}), ':', ${v}), '-')`;
  });
  return pg ? `md5(${parts.join(" || '|' || ")})` : `MD5(CONCAT_WS('|', ${parts.join(', ')}))`;
}

/** A key column's canonical text as a PostgreSQL literal of its type (for asking capture to re-read the key). */
export function keyLiteral(column: ComparedColumn, canonical: string): string {
  switch (column.typeName) {
    case 'bytea':
      return `\\x${canonical}`;
    case 'timestamptz':
      return `${canonical}+00`;
    default:
      return canonical;
  }
}

/** The key columns as text, to read keys back identically on both sides. */
export function keyTextExpressions(dialect: Dialect, keyColumns: ComparedColumn[]): string[] {
  return keyColumns.map((column) => canonicalValue(dialect, column));
}

const TEXT_ORDERED = new Set(['text', 'varchar', 'bpchar', 'uuid', 'citext', 'name']);

/**
 * A key column as compared in range predicates: text in byte order on PostgreSQL (COLLATE "C"),
 * which is the order of utf8mb4_bin on MariaDB, so both sides cut ranges at the same keys.
 */
export function keyOrderExpression(dialect: Dialect, column: ComparedColumn): string {
  const c = column.sql ?? quote(dialect, column.name);
  if (dialect === 'mysql') return c;
  if (column.typeName === 'uuid') return `${c}::text COLLATE "C"`;
  return TEXT_ORDERED.has(column.typeName) ? `${c} COLLATE "C"` : c;
}

/** A key parameter in a range predicate, cast like its column. */
export function keyParameter(dialect: Dialect, column: ComparedColumn, placeholder: string): string {
  if (dialect === 'mysql') {
    // A string compared with a BIGINT would go through a double: cast exactly.
    if (['int2', 'int4', 'int8'].includes(column.typeName)) return `CAST(${placeholder} AS SIGNED)`;
    if (column.typeName === 'numeric') return `CAST(${placeholder} AS DECIMAL(65,30))`;
    return placeholder;
  }
  if (column.typeName === 'uuid' || TEXT_ORDERED.has(column.typeName)) return `${placeholder}::text COLLATE "C"`;
  return `${placeholder}::${column.pgType}`;
}
