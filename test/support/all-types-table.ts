/**
 * A table with a column of every type of the contract (DESIGN.md §2) and rows at their edges,
 * NULL in each: shared by the capture round-trip and the apply/reconciler type tests.
 */
export const ALL_TYPES_DDL = (table: string): string[] => [
  `CREATE TYPE payment_status AS ENUM ('pending', 'settled', 'refunded')`,
  `CREATE TABLE ${table} (
    id bigint PRIMARY KEY, amount numeric(20,4), free_numeric numeric, price money, at timestamptz, local_at timestamp,
    day date, tod time, ref uuid, doc jsonb, blob bytea, memo text, tags text[], amounts numeric(10,2)[], counts integer[],
    status payment_status)`,
];

export const ALL_TYPES_ROWS = [
  `(1, '9999999999999999.9999', '123456789012345678901234567890.123456789', '92233720368547758.07', '2024-02-29 23:59:59.999999+05:30',
    '1999-12-31 23:59:59.000001', '2024-02-29', '23:59:59.999999', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50, "x"], "b": null}',
    '\\x00ff10', 'Grüße 💸 ñ "quoted" \\ back', '{"a,b","c\\"d",NULL,"NULL"}', '{1.10,-2.25}', '{1,NULL,3}', 'settled')`,
  `(2, '-1234567890123456.7891', '-0.000000000000000000001', '-1.23', '1970-01-01 00:00:00+00', '0001-01-01 00:00:00', '1900-01-01',
    '00:00:00', '00000000-0000-0000-0000-000000000000', '[]', '\\x', '', '{}', '{}', '{}', 'pending')`,
  `(3, '0.0001', '5', '0.00', '9999-12-31 23:59:59.999999+00', '2038-01-19 03:14:08', '9999-12-31', '24:00:00',
    'ffffffff-ffff-ffff-ffff-ffffffffffff', '{"deep": {"x": [true, false, null]}}', '\\xdeadbeef', 'ascii', '{x}', '{0.01}', '{-2147483648,2147483647}', 'refunded')`,
  `(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
];

/**
 * The contract's other types (docs/type-mapping.md), as columns added to the table above, for tests
 * that take every type through another system (the tests above compare the columns above only).
 */
export const MORE_TYPES_DDL = (table: string): string[] => [
  `CREATE EXTENSION IF NOT EXISTS citext`,
  `CREATE DOMAIN positive_amount AS numeric(12,2) CHECK (VALUE > 0)`,
  `CREATE TYPE money_pair AS (amount numeric, currency text)`,
  `ALTER TABLE ${table} ADD COLUMN small smallint, ADD COLUMN num integer, ADD COLUMN big bigint, ADD COLUMN ratio real,
    ADD COLUMN measure double precision, ADD COLUMN flag boolean, ADD COLUMN doc_json json, ADD COLUMN code varchar(16),
    ADD COLUMN fixed char(5), ADD COLUMN name_ci citext, ADD COLUMN addr inet, ADD COLUMN net cidr, ADD COLUMN mac macaddr,
    ADD COLUMN span interval, ADD COLUMN markup xml, ADD COLUMN tz timetz, ADD COLUMN period int4range, ADD COLUMN pair money_pair,
    ADD COLUMN fee positive_amount, ADD COLUMN scaled numeric(2,-3), ADD COLUMN statuses payment_status[], ADD COLUMN ats timestamptz[]`,
];

/** The values of MORE_TYPES_DDL's columns in rows 1-3, as SET clauses (row 4 stays NULL in each). */
export const MORE_TYPES_VALUES: Record<number, string> = {
  1: `small = -32768, num = 2147483647, big = 9223372036854775807, ratio = 'NaN', measure = 1.7976931348623157e308, flag = true,
    doc_json = '{ "dup": 1, "dup": 2, "n": 1.50 }', code = 'Grüße', fixed = 'ab', name_ci = 'MiXeD', addr = '192.168.0.1/24',
    net = '10.0.0.0/8', mac = '08:00:2b:01:02:03', span = '1 year 2 mons -3 days 04:05:06.789', markup = '<a x="1">t &amp; u</a>',
    tz = '23:59:59.999999+05:30', period = '[1,10)', pair = '(12.50,EUR)', fee = 12.5, scaled = 12000,
    statuses = '{settled,NULL,pending}', ats = '{"2024-02-29 23:59:59.999999+05:30",NULL}'`,
  2: `small = 0, num = -2147483648, big = -9223372036854775808, ratio = '-0', measure = '-Infinity', flag = false,
    doc_json = '[]', code = '', fixed = '', name_ci = '', addr = '::1', net = '2001:db8::/32', mac = '00:00:00:00:00:00',
    span = '0', markup = '<empty/>', tz = '00:00:00+00', period = 'empty', pair = '(,)', fee = 0.01, scaled = 0,
    statuses = '{}', ats = '{}'`,
  3: `small = 32767, num = 0, big = 0, ratio = 3.4028235e38, measure = 'Infinity', flag = NULL, doc_json = 'null', code = 'x',
    fixed = 'abcde', name_ci = 'x', addr = '10.1.2.3', net = '192.168.0.0/16', mac = 'ff:ff:ff:ff:ff:ff',
    span = '-178000000 years', markup = 'plain text', tz = '24:00:00-15:59', period = '(,5]', pair = '(-1,"a,b")', fee = 9999999999.99,
    scaled = -99000, statuses = '{refunded}', ats = '{"1970-01-01 00:00:00+00"}'`,
};
