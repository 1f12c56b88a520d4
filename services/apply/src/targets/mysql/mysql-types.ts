import type { ColumnShape, ColumnType, ColumnValue } from '@paysync/contract';

/** Longest text a key column gets (utf8mb4: 4 bytes a character, InnoDB keys up to 3072 bytes). */
const KEY_TEXT = 'VARCHAR(255)';

/**
 * The MariaDB/MySQL column type for a source column. Exact types stay exact: numeric(p,s) within
 * DECIMAL's limits (65, 30) becomes DECIMAL(p,s); wider or unconstrained numerics are kept as their
 * exact text rather than rounded. Timestamps are stored in UTC with microseconds.
 */
export function mysqlTypeOf(column: ColumnShape, inKey: boolean): string {
  const pg = column.pgType;
  if (column.category === 'array') return 'JSON';
  switch (column.typeName) {
    case 'numeric':
      if (pg === 'money') return 'DECIMAL(19,2)';
      if (column.precision !== undefined && column.scale !== undefined && column.precision <= 65 && column.scale <= 30 && column.scale >= 0 && column.scale <= column.precision) {
        return `DECIMAL(${column.precision},${column.scale})`;
      }
      return inKey ? KEY_TEXT : 'LONGTEXT';
    case 'int4':
      return pg === 'smallint' ? 'SMALLINT' : 'INT';
    case 'int8':
      return 'BIGINT';
    case 'float4':
      return 'FLOAT';
    case 'float8':
      return 'DOUBLE';
    case 'bool':
      return 'BOOLEAN';
    case 'bytea':
      return inKey ? 'VARBINARY(255)' : 'LONGBLOB';
    case 'uuid':
      return 'CHAR(36)';
    case 'timestamptz':
    case 'timestamp':
      return 'DATETIME(6)';
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME(6)';
    default:
      return textType(pg, inKey);
  }
}

function textType(pg: string, inKey: boolean): string {
  const varchar = /^character varying\((\d+)\)$/.exec(pg);
  if (varchar && Number(varchar[1]) <= (inKey ? 255 : 16383)) return `VARCHAR(${varchar[1]})`;
  const char = /^character\((\d+)\)$/.exec(pg);
  if (char && Number(char[1]) <= 255) return `CHAR(${char[1]})`;
  if ((pg === 'json' || pg === 'jsonb') && !inKey) return 'JSON';
  return inKey ? KEY_TEXT : 'LONGTEXT';
}

/** A contract value (see docs/type-mapping.md) as the parameter MariaDB/MySQL stores exactly. */
export function toMysqlValue(column: ColumnType, value: ColumnValue): unknown {
  if (value === null) return null;
  if (column.category === 'array') return JSON.stringify(value, jsonReplacer);
  switch (column.typeName) {
    case 'float4':
    case 'float8':
      if (!Number.isFinite(value as number)) throw new Error(`MariaDB/MySQL cannot store ${String(value)}`);
      return value;
    case 'timestamptz':
    case 'timestamp':
      return dateTime(String(value));
    case 'date':
      return calendarDate(String(value));
    case 'int8':
      return String(value);
    default:
      return value;
  }
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d+)?)Z?$/;

/** "2024-02-29T18:29:59.123456Z" -> "2024-02-29 18:29:59.123456"; DATETIME holds years 1000-9999 only. */
function dateTime(text: string): string {
  const match = DATE_TIME.exec(text);
  if (!match || Number(match[1]) < 1000) throw new Error(`MariaDB/MySQL DATETIME cannot hold ${text} (years 1000-9999 only, no infinity)`);
  return `${match[1]}-${match[2]}-${match[3]} ${match[4]}`;
}

function calendarDate(text: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number(text.slice(0, 4)) < 1000) throw new Error(`MariaDB/MySQL DATE cannot hold ${text} (years 1000-9999 only, no infinity)`);
  return text;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') return `\\x${Buffer.from((value as { data: number[] }).data).toString('hex')}`;
  return value;
}
