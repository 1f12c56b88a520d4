import type { Pool } from '@paysync/postgres';

/**
 * What a Python consumer should get for each column, derived from PostgreSQL alone (its text
 * forms, to_char, extract(epoch)), never from paysync's own decoder: the typed forms
 * decode_topic.py prints, ["<Python type>", text] (null for None).
 */
export type PyValue = null | [string, unknown];

/**
 * A value fastavro's logical reader refuses (Python's datetime has no such value): its raw Avro
 * number. The reader's error (OverflowError or ValueError, worded by CPython) is checked apart.
 */
const unconverted = (logicalType: string, raw: string): PyValue => ['unconverted', { logicalType, raw: ['int', raw], error: 'raised' }];

interface ColumnForm {
  column: string;
  /** SQL giving PostgreSQL's text of the column, or for a temporal one {text} or {raw}. */
  sql: string;
  python(value: unknown): PyValue;
}

const same =
  (pyType: string) =>
  (text: unknown): PyValue => [pyType, text];

/** A float as a comparable text: JS's shortest round-trip digits, -0 kept (Python's repr reads back to the same double). */
function floatText(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/** Python's repr of a float ("nan", "-inf", "-0.0", "1e-05") as the comparable text. */
export function pythonFloatText(repr: string): string {
  const special: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };
  return floatText(repr in special ? special[repr] : Number(repr));
}

/** Debezium's VariableScaleDecimal as fastavro returns it: {scale, value: minimal big-endian two's complement}. */
function variableScaleDecimal(text: unknown): PyValue {
  const [, fraction = ''] = String(text).split('.');
  const unscaled = BigInt(String(text).replace('.', ''));
  let bytes = 1;
  while (unscaled < -(1n << BigInt(8 * bytes - 1)) || unscaled >= 1n << BigInt(8 * bytes - 1)) bytes++;
  const hex = BigInt.asUintN(8 * bytes, unscaled).toString(16).padStart(2 * bytes, '0');
  return ['dict', { scale: ['int', String(fraction.length)], value: ['bytes', hex] }];
}

/** Python's isoformat leaves out a zero microsecond part; to_char always gives six digits. */
const isoMicros = (text: string): string => text.replace(/\.000000$/, '');

/**
 * A temporal column: Python's datetime/date/time where it can hold the value (years 1..9999,
 * finite, a time below 24:00), else the raw Avro number with the error fastavro's reader raises.
 * `raw` is PostgreSQL's own number (microseconds or days since 1970-01-01, from extract(epoch));
 * infinity has none, and the contract (docs/type-mapping.md) writes it as the long/int max and min.
 */
function temporal(column: string, logicalType: string, holdable: string, text: string, raw: string, python: (text: string) => PyValue): ColumnForm {
  return {
    column,
    sql: `CASE WHEN ${column} IS NULL THEN NULL WHEN ${holdable} THEN json_build_object('text', ${text}) ELSE json_build_object('raw', ${raw}) END`,
    python: (value) => {
      const form = value as { text?: string; raw?: string };
      return form.text !== undefined ? python(form.text) : unconverted(logicalType, String(form.raw));
    },
  };
}

const yearsPythonHolds = (expr: string): string => `isfinite(${expr}) AND extract(year FROM ${expr}) BETWEEN 1 AND 9999`;
const infinityOr = (column: string, max: string, min: string, finite: string): string =>
  `CASE WHEN ${column} = 'infinity' THEN '${max}' WHEN ${column} = '-infinity' THEN '${min}' ELSE ${finite} END`;
const LONG_MAX = '9223372036854775807';
const LONG_MIN = '-9223372036854775808';
const epochMicros = (expr: string): string => `(extract(epoch FROM ${expr}) * 1000000)::bigint::text`;

/** The columns of all-types-table.ts's table, then those python-edge-rows.ts adds. */
const COLUMNS: ColumnForm[] = [
  { column: 'id', sql: 'id::text', python: same('int') },
  { column: 'amount', sql: 'amount::text', python: same('Decimal') },
  { column: 'free_numeric', sql: 'free_numeric::text', python: variableScaleDecimal },
  { column: 'price', sql: 'price::numeric::text', python: same('Decimal') },
  temporal(
    'at',
    'long-timestamp-micros',
    yearsPythonHolds(`(at AT TIME ZONE 'UTC')`),
    `to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
    infinityOr('at', LONG_MAX, LONG_MIN, epochMicros('at')),
    (t) => ['datetime', `${isoMicros(t)}+00:00`],
  ),
  temporal(
    'local_at',
    'long-local-timestamp-micros',
    yearsPythonHolds('local_at'),
    `to_char(local_at, 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
    infinityOr('local_at', LONG_MAX, LONG_MIN, epochMicros('local_at')),
    (t) => ['datetime', isoMicros(t)],
  ),
  temporal('day', 'int-date', yearsPythonHolds('day'), `to_char(day, 'YYYY-MM-DD')`, infinityOr('day', '2147483647', '-2147483648', `(day - DATE '1970-01-01')::text`), same('date')),
  temporal('tod', 'long-time-micros', `tod < '24:00:00'`, `to_char(tod, 'HH24:MI:SS.US')`, epochMicros('tod'), (t) => ['time', isoMicros(t)]),
  { column: 'ref', sql: 'ref::text', python: same('UUID') },
  { column: 'doc', sql: 'doc::text', python: same('str') },
  { column: 'blob', sql: `encode(blob, 'hex')`, python: same('bytes') },
  { column: 'memo', sql: 'memo', python: same('str') },
  // Arrays as JSON arrays of each element's text (null for NULL), so no number passes through JSON.
  { column: 'tags', sql: 'to_json(tags)', python: listOf('str') },
  { column: 'amounts', sql: 'to_json(amounts::text[])', python: listOf('Decimal') },
  { column: 'counts', sql: 'to_json(counts::text[])', python: listOf('int') },
  { column: 'status', sql: 'status::text', python: same('str') },
  { column: 'small', sql: 'small::text', python: same('int') },
  { column: 'whole', sql: 'whole::text', python: same('int') },
  // Avro float: the 32-bit value, which Python widens to a double.
  { column: 'ratio', sql: 'ratio::text', python: (t) => ['float', floatText(Math.fround(Number(t)))] },
  { column: 'score', sql: 'score::text', python: (t) => ['float', floatText(Number(t))] },
  { column: 'flag', sql: 'flag::text', python: (t) => ['bool', t === 'true' ? 'True' : 'False'] },
  { column: 'raw_doc', sql: 'raw_doc::text', python: same('str') },
];

function listOf(pyType: string): (items: unknown) => PyValue {
  return (items) => ['list', (items as (string | null)[]).map((item) => (item === null ? null : [pyType, item]))];
}

/** Every row of the table now, as the dict of typed values a Python consumer should get for it, by id. */
export async function expectedPythonRows(pool: Pool, table: string): Promise<Map<string, PyValue>> {
  const pairs = COLUMNS.map((c) => `'${c.column}', ${c.sql}`).join(', ');
  // The pool hands every column over as PostgreSQL's text, the JSON object too.
  const { rows } = await pool.query<{ id: string; row: string }>(`SELECT id::text AS id, json_build_object(${pairs})::text AS row FROM ${table}`);
  return new Map(
    rows.map(({ id, row }) => {
      const values = JSON.parse(row) as Record<string, unknown>;
      return [id, ['dict', Object.fromEntries(COLUMNS.map((c) => [c.column, values[c.column] === null ? null : c.python(values[c.column])]))]];
    }),
  );
}
