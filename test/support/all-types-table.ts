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
