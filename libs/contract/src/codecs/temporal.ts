import { types, type Schema, type Type } from 'avsc';
import { useBigIntLong } from './bigint-long';
import { daysFromCivil, formatIsoDate, formatTimeOfDay, MICROS_PER_DAY, splitMicros } from './civil-time';

/**
 * Dates and times as exact strings in JS and Avro's logical types on the wire. PostgreSQL's
 * 'infinity' and '-infinity' map to the largest and smallest value of the underlying Avro type.
 */
const LONG_MAX = 9223372036854775807n;
const LONG_MIN = -9223372036854775808n;
const INT_MAX = 2147483647;
const INT_MIN = -2147483648;

const DATE_TIME =
  /^(-?\d{4,})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}(?::?\d{2}){0,2})?( BC)?$/;

interface DateTimeParts {
  days: number;
  micros: bigint;
  offsetSeconds: number;
}

/** Reads PostgreSQL's ISO output ("2024-02-29 18:29:59.5+00", "0044-03-15 BC") or our ISO form. */
function parseDateTime(text: string, what: string): DateTimeParts {
  const m = DATE_TIME.exec(text);
  if (!m) throw new Error(`"${text}" is not a ${what}`);
  let year = Number(m[1]);
  if (m[9]) year = 1 - year; // 1 BC is astronomical year 0
  const days = daysFromCivil(year, Number(m[2]), Number(m[3]));
  const micros =
    BigInt(Number(m[4] ?? 0) * 3600 + Number(m[5] ?? 0) * 60 + Number(m[6] ?? 0)) * 1_000_000n + BigInt((m[7] ?? '').padEnd(6, '0') || '0');
  let offsetSeconds = 0;
  if (m[8] && m[8] !== 'Z') {
    const [h, mi = '0', s = '0'] = m[8].slice(1).match(/\d{2}/g) ?? [];
    offsetSeconds = (m[8][0] === '-' ? -1 : 1) * (Number(h) * 3600 + Number(mi) * 60 + Number(s));
  }
  return { days, micros, offsetSeconds };
}

function epochMicros(parts: DateTimeParts): bigint {
  const micros = BigInt(parts.days) * MICROS_PER_DAY + parts.micros - BigInt(parts.offsetSeconds) * 1_000_000n;
  // PostgreSQL counts from 2000 and reaches year 294276; counted from 1970 its last ~30 years do
  // not fit an Avro long (and the two extremes stand for ±infinity).
  if (micros >= LONG_MAX || micros <= LONG_MIN) throw new Error(`timestamp ${isoDateTime(micros, '')} is outside the range an Avro timestamp-micros long can hold`);
  return micros;
}

function isoDateTime(total: bigint, zone: string): string {
  const { days, micros } = splitMicros(total);
  return `${formatIsoDate(days)}T${formatTimeOfDay(micros)}${zone}`;
}

/** Our ISO date ("-0043-03-15") as PostgreSQL input ("0044-03-15 BC"). */
function pgDate(iso: string): { date: string; bc: boolean } {
  if (!iso.startsWith('-') && !iso.startsWith('0000')) return { date: iso, bc: false };
  const [yearText, rest] = [iso.slice(0, iso.indexOf('-', 1)), iso.slice(iso.indexOf('-', 1))];
  return { date: `${String(1 - Number(yearText)).padStart(4, '0')}${rest}`, bc: true };
}

// ---- text <-> JS value (used by codecs) ----

export function timestamptzFromPg(text: string): string {
  if (text === 'infinity' || text === '-infinity') return text;
  return plainIsoForm(text, '+00', 'Z') ?? isoDateTime(epochMicros(parseDateTime(text, 'timestamp with time zone')), 'Z');
}

export function timestampFromPg(text: string): string {
  if (text === 'infinity' || text === '-infinity') return text;
  return plainIsoForm(text, '', '') ?? isoDateTime(epochMicros({ ...parseDateTime(text, 'timestamp'), offsetSeconds: 0 }), '');
}

const isDigitAt = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i);
  return c >= 48 && c <= 57;
};

/**
 * The usual PostgreSQL text of a timestamp in years 1000-9999 ("2024-02-29 18:29:59.5", with the
 * session's "+00" for timestamptz) needs no calendar arithmetic to become the ISO form: the
 * separator and the fraction's width change, nothing else. Anything else (BC, 5-digit years,
 * another offset): undefined, and the exact path runs.
 */
function plainIsoForm(text: string, offset: string, zone: string): string | undefined {
  const end = text.length - offset.length;
  if (end < 19 || !text.endsWith(offset) || text.charCodeAt(10) !== 32 || text.charCodeAt(0) === 48) return undefined;
  for (const i of [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]) if (!isDigitAt(text, i)) return undefined;
  if (text[4] !== '-' || text[7] !== '-' || text[13] !== ':' || text[16] !== ':') return undefined;
  let fraction = '';
  if (end > 19) {
    if (text[19] !== '.' || end - 20 > 6 || end - 20 < 1) return undefined;
    for (let i = 20; i < end; i++) if (!isDigitAt(text, i)) return undefined;
    fraction = text.slice(20, end);
  }
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${fraction.padEnd(6, '0')}${zone}`;
}

export function dateFromPg(text: string): string {
  if (text === 'infinity' || text === '-infinity') return text;
  return formatIsoDate(parseDateTime(text, 'date').days);
}

export function timeFromPg(text: string): string {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) throw new Error(`"${text}" is not a time`);
  return `${m[1]}:${m[2]}:${m[3]}.${(m[4] ?? '').padEnd(6, '0')}`;
}

/** A JS timestamp / date string as a literal PostgreSQL reads back to the same value. */
export function dateTimeToPg(value: string, withZone: boolean): string {
  if (value === 'infinity' || value === '-infinity') return value;
  const [datePart, timePart] = value.split('T');
  const { date, bc } = pgDate(datePart);
  const time = timePart === undefined ? '' : ` ${timePart.replace('Z', '')}${withZone ? '+00' : ''}`;
  return `${date}${time}${bc ? ' BC' : ''}`;
}

// ---- Avro logical types ----

function timeMicros(value: string): bigint {
  const m = /^(\d{2}):(\d{2}):(\d{2})\.(\d{6})$/.exec(value);
  if (!m) throw new Error(`"${value}" is not HH:MM:SS.ffffff`);
  return BigInt(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1_000_000n + BigInt(m[4]);
}

abstract class ExactLogicalType extends types.LogicalType {
  override _resolve(type: Type): ((x: unknown) => unknown) | undefined {
    return type.constructor === this.constructor ? (x) => x : undefined;
  }
}

/** timestamp-micros: UTC instants, "...Z". */
export class TimestampMicrosType extends ExactLogicalType {
  /** The suffix of the JS form; none for a local timestamp, whose text carries no offset. */
  protected readonly zone: string = 'Z';

  constructor(schema: Schema, opts?: object) {
    super(schema, opts);
    useBigIntLong(this);
  }

  override _fromValue(micros: bigint): string {
    if (micros === this.lastRead?.micros) return this.lastRead.text;
    if (micros === LONG_MAX) return 'infinity';
    if (micros === LONG_MIN) return '-infinity';
    const text = isoDateTime(micros, this.zone);
    this.lastRead = { text, micros };
    return text;
  }

  /** The last value written, and its microseconds: rows of one transaction often share a timestamp (now()). */
  private last: { text: string; micros: bigint } | undefined;
  /** The same, read. */
  private lastRead: { text: string; micros: bigint } | undefined;

  override _toValue(value: unknown): bigint | undefined {
    if (typeof value !== 'string') return undefined;
    if (value === this.last?.text) return this.last.micros;
    if (value === 'infinity') return LONG_MAX;
    if (value === '-infinity') return LONG_MIN;
    const parts = parseDateTime(value, 'timestamp');
    const micros = epochMicros(this.zone ? parts : { ...parts, offsetSeconds: 0 });
    this.last = { text: value, micros };
    return micros;
  }
}

/** local-timestamp-micros: wall-clock timestamps without a zone. */
export class LocalTimestampMicrosType extends TimestampMicrosType {
  protected override readonly zone: string = '';
}

export class DateType extends ExactLogicalType {
  override _fromValue(days: number): string {
    if (days === INT_MAX) return 'infinity';
    if (days === INT_MIN) return '-infinity';
    return formatIsoDate(days);
  }
  override _toValue(value: unknown): number | undefined {
    if (typeof value !== 'string') return undefined;
    if (value === 'infinity') return INT_MAX;
    if (value === '-infinity') return INT_MIN;
    return parseDateTime(value, 'date').days;
  }
}

export class TimeMicrosType extends ExactLogicalType {
  constructor(schema: Schema, opts?: object) {
    super(schema, opts);
    useBigIntLong(this);
  }

  override _fromValue(micros: bigint): string {
    return formatTimeOfDay(micros);
  }
  override _toValue(value: unknown): bigint | undefined {
    return typeof value === 'string' ? timeMicros(value) : undefined;
  }
}
