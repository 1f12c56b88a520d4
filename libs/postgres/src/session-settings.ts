/**
 * Session settings of every paysync connection, so values read as text (snapshot queries and the
 * WAL stream alike) have one exact, locale-free form: UTC ISO timestamps, hex bytea, floats with
 * enough digits to round-trip, money with a dot.
 */
export const SESSION_SETTINGS: Readonly<Record<string, string>> = {
  TimeZone: 'UTC',
  DateStyle: 'ISO, YMD',
  IntervalStyle: 'postgres',
  extra_float_digits: '3',
  bytea_output: 'hex',
  lc_monetary: 'C',
};

/** The settings as libpq's `options` string; `extra` adds a caller's own (they cannot override these). */
export function sessionOptions(extra: Readonly<Record<string, string>> = {}): string {
  return Object.entries({ ...extra, ...SESSION_SETTINGS })
    .map(([name, value]) => `-c ${name}=${value.replace(/ /g, '\\ ')}`)
    .join(' ');
}
