import { ALL_TYPES_ROWS } from '../../support/all-types-table';

/**
 * What the compat test adds to all-types-table.ts's table: columns of the Avro types it lacks
 * (int for smallint and integer, float, double, boolean; json beside jsonb), and rows at the
 * edges of what Python's types hold: infinity, BC and 5-digit years (no datetime/date for them),
 * the 32-bit and double extremes, NaN, -0.
 */
export const EXTRA_COLUMNS_DDL = (table: string): string =>
  `ALTER TABLE ${table} ADD COLUMN small smallint, ADD COLUMN whole integer, ADD COLUMN ratio real, ADD COLUMN score double precision, ADD COLUMN flag boolean, ADD COLUMN raw_doc json`;

/** Rows 5 to 7, with values for every column (all-types-table.ts's rows leave the added ones NULL). */
export const PYTHON_EDGE_ROWS = [
  `(5, '0.0000', '-5.50', '-92233720368547758.08', 'infinity', '-infinity', 'infinity', '00:00:00.000001', '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
    '{"k": "v"}', '\\x01', E'tab\\there', '{""}', '{NULL}', '{0}', 'pending', -32768, -2147483648, 'NaN', '-Infinity', true, '{"a": 1,  "a" : 2}')`,
  `(6, '-0.0001', '0.000000000000000000000000000001', '0.01', '0044-03-15 12:00:00+00 BC', '12345-06-07 08:09:10.5', '4713-01-01 BC', '12:00:00',
    '123e4567-e89b-12d3-a456-426614174000', '{"n": 12345678901234567890}', '\\x80', E'line\\nbreak', '{" spaced ",""}', '{-99999999.99,99999999.99}',
    '{NULL}', 'settled', 32767, 0, '-0', '2.2250738585072014e-308', false, '[1, 2.50]')`,
  `(7, '1.0000', '-99999999999999999999999999999999999999.5', '0.10', '2000-01-01 00:00:00.5+00', '9999-12-31 23:59:59.999999', '0001-01-01', '00:00:00',
    '6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'null', '\\x', 'x', '{NULL,x}', '{0.00}', '{7}', 'refunded', 0, -1, '3.4028235e+38', '0.1', true, '"text"')`,
];

/** Row `index` of all-types-table.ts, NULL in the added columns. */
export const allTypesRow = (index: number): string => ALL_TYPES_ROWS[index].replace(/\)$/, ', NULL, NULL, NULL, NULL, NULL, NULL)');
