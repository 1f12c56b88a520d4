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

export function sessionOptions(): string {
  return Object.entries(SESSION_SETTINGS)
    .map(([name, value]) => `-c ${name}=${value.replace(/ /g, '\\ ')}`)
    .join(' ');
}
