/**
 * What Debezium's JDBC sink 3.0.7 does to the all-types table (test/support/all-types-table.ts and
 * the rows of debezium-jdbc-sink.test.ts), as observed, per pipeline: paysync's topics, and those
 * of Debezium's own PostgreSQL connector (3.0.7, default settings) on the same source. The findings
 * are written up in docs/ecosystem.md.
 */
export const PIPELINES = ['paysync', 'debezium'] as const;
export type Pipeline = (typeof PIPELINES)[number];

const NUMERIC_ARRAY = /Unable to find server array type for provided name decimal\(10,2\)\./;
const ENUM_ARRAY = /column "statuses" is of type payment_status\[\] but expression is of type text\[\]/;
const TIME_2400 = /Invalid value for NanoOfDay \(valid values 0 - 86399999999999\): 86400000000000/;

/**
 * Columns the sink cannot carry, with the failure of a sink of that column alone; one such value
 * fails the sink's task for good, so the other sinks leave these columns out (field.exclude.list).
 */
export const REFUSED: Record<Pipeline, Record<string, RegExp>> = {
  paysync: {
    // numeric(10,2)[]: the sink asks PgJDBC for an array of "decimal(10,2)", a name it does not know.
    amounts: NUMERIC_ARRAY,
    // timestamptz[] of MicroTimestamp items: an array of "timestamp(6)", likewise.
    ats: /Unable to find server array type for provided name timestamp\(6\)\./,
    // enum[]: the sink binds a text[], which PostgreSQL does not cast to an enum array.
    statuses: ENUM_ARRAY,
    // time 24:00:00 (row 3): the sink makes every MicroTime a java.time.LocalTime, which ends at 23:59:59.999999999.
    tod: TIME_2400,
  },
  debezium: {
    amounts: NUMERIC_ARRAY,
    // timestamptz[] of ZonedTimestamp items: "timestamp(6) with time zone".
    ats: /Unable to find server array type for provided name timestamp\(6\) with time zone\./,
    statuses: ENUM_ARRAY,
    tod: TIME_2400,
    // money 92233720368547758.07 (row 1): Debezium's connector reads money as a double, 92233720368547760.00,
    // which is beyond money's range.
    price: /ERROR: bigint out of range/,
  },
};

/**
 * Columns that need PgJDBC's stringtype=unspecified in the sink's connection URL: without it the
 * sink sends their text as character varying, which PostgreSQL does not assign to these types.
 */
export const PLAIN_URL_REFUSED: Record<Pipeline, string[]> = {
  // enum, inet, cidr, macaddr, interval, timetz, int4range, a composite: all text in paysync's contract
  // (json, jsonb, xml and uuid carry Debezium's names, for which the sink casts).
  paysync: ['status', 'addr', 'net', 'mac', 'span', 'tz', 'period', 'pair'],
  // Debezium sends interval as MicroDuration and timetz as ZonedTime, and no composite at all.
  debezium: ['status', 'addr', 'net', 'mac', 'period'],
};

type Differences = Record<string, Record<string, string | null>>;

/** Row 7's memo: stored out of line and left unchanged by an update under REPLICA IDENTITY DEFAULT (row 8's came under FULL, and arrives). */
const UNCHANGED_TOAST = { paysync: { '7': null }, debezium: { '7': '__debezium_unavailable_value' } };

/** Debezium's connector (in UTC) on the same source: what its topics carry differently, whatever the sink's time zone. */
const DEBEZIUM_SOURCE: Differences = {
  // Year 1 two days early (the gap between the Julian and the Gregorian calendar); paysync's value of it arrives.
  local_at: { '2': '0001-12-30 00:00:00 BC' },
  memo: UNCHANGED_TOAST.debezium,
  // Composite types are not emitted.
  pair: { '1': null, '2': null, '3': null },
  // interval as MicroDuration: a month as 30.4375 days; -178000000 years comes out as the smallest long of microseconds.
  span: { '1': '10159:05:06', '3': '-2562047788:00:54' },
  // timetz as ZonedTime: moved to UTC, and 24:00:00-15:59 becomes 15:59:00+00.
  tz: { '1': '18:29:59.999999+00', '3': '15:59:00+00' },
};

/**
 * The sink's JVM in America/New_York: it binds MicroTimestamp values as local date-times rendered in
 * the JVM's zone, so a timestamptz lands shifted by New York's UTC offset, and a timestamp that is a
 * wall time New York skips moves on by an hour.
 */
const NEW_YORK_SHIFT = {
  at: { '1': '2024-02-29 23:29:59.999999+00', '2': '1970-01-01 05:00:00+00', '3': '10000-01-01 04:59:59.999999+00', '6': '2024-11-03 11:30:00+00' },
  local_at: { '6': '2024-03-10 03:30:00' },
};

/** A target's differences from the source (the columns of REFUSED left out), by column: the target's text by id. */
export const EXPECTED: Record<Pipeline, Record<'utc' | 'newYork', Differences>> = {
  paysync: {
    utc: { memo: UNCHANGED_TOAST.paysync },
    newYork: { memo: UNCHANGED_TOAST.paysync, ...NEW_YORK_SHIFT },
  },
  debezium: {
    utc: DEBEZIUM_SOURCE,
    // Debezium's timestamptz is a ZonedTimestamp string, bound with its offset: only the skipped wall time moves.
    newYork: { ...DEBEZIUM_SOURCE, local_at: { ...DEBEZIUM_SOURCE.local_at, ...NEW_YORK_SHIFT.local_at } },
  },
};
