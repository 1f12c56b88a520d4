import { types, type Schema, type Type } from 'avsc';

/**
 * Exact decimals. A decimal travels as Avro's unscaled two's-complement bytes and lives in JS as a
 * decimal string ("-12.3400"): never as a double, so no amount is ever rounded.
 */
export function unscaledToBytes(n: bigint): Buffer {
  return n < SMALL_UNSCALED && n > -SMALL_UNSCALED ? smallUnscaledToBytes(Number(n)) : bigUnscaledToBytes(n);
}

/** unscaledToBytes of any size, in BigInt arithmetic. */
export function bigUnscaledToBytes(n: bigint): Buffer {
  let length = 1;
  while (n < -(1n << BigInt(8 * length - 1)) || n > (1n << BigInt(8 * length - 1)) - 1n) length++;
  let v = n < 0n ? (1n << BigInt(8 * length)) + n : n;
  const out = Buffer.alloc(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

const SMALL_UNSCALED = 2n ** 52n;

/** unscaledToBytes for |n| < 2^52, in double arithmetic. */
function smallUnscaledToBytes(n: number): Buffer {
  const length = smallUnscaledLength(n);
  const out = Buffer.allocUnsafe(length);
  writeSmallUnscaled(n, length, out, 0);
  return out;
}

/** How many bytes the two's complement of n (|n| < 2^52) takes. */
export function smallUnscaledLength(n: number): number {
  const m = n < 0 ? -n - 1 : n;
  let length = 1;
  for (let limit = 128; m >= limit; limit *= 256) length++;
  return length;
}

/** The two's complement of n (|n| < 2^52) into `length` bytes at `at`: the negative one's complement of -n - 1, byte by byte. */
export function writeSmallUnscaled(n: number, length: number, into: Uint8Array, at: number): void {
  const negative = n < 0;
  let m = negative ? -n - 1 : n;
  for (let i = at + length - 1; i >= at; i--) {
    const b = m % 256;
    into[i] = negative ? 255 - b : b;
    m = (m - b) / 256;
  }
}

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const isDigit = (c: number): boolean => c >= DIGIT_0 && c <= DIGIT_9;

/**
 * How many significant digits `text` has when it is already the canonical form of a decimal of this
 * scale (PostgreSQL's output of numeric(p,s) and formatDecimal's: an optional '-', a whole part
 * that is "0" or has no leading zero, exactly `scale` fraction digits, not minus zero); -1 when it
 * is not. Such text needs no rescaling.
 */
export function canonicalDigits(text: string, scale: number): number {
  let i = text.charCodeAt(0) === 45 ? 1 : 0; // '-'
  const start = i;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  const whole = i - start;
  if (whole === 0 || (whole > 1 && text.charCodeAt(start) === DIGIT_0)) return -1;
  if (scale > 0) {
    if (text.charCodeAt(i) !== 46) return -1; // '.'
    i++;
    const from = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    if (i - from !== scale) return -1;
  }
  if (i !== text.length) return -1;
  // Leading zeros (of "0.0012") do not count; zero itself has one digit, and is never negative.
  let significant = whole + scale;
  for (let k = start; k < text.length && significant > 1; k++) {
    const c = text.charCodeAt(k);
    if (c === 46) continue;
    if (c !== DIGIT_0) break;
    significant--;
  }
  if (start === 1 && significant === 1 && /^-0(\.0*)?$/.test(text)) return -1;
  return significant;
}

/** The unscaled value of canonical text of at most 15 digits, exactly, as a double. */
function smallUnscaled(text: string): number {
  return Number(text.replace('.', ''));
}

export function bytesToUnscaled(bytes: Buffer): bigint {
  if (bytes.length === 0) return 0n;
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return bytes[0] & 0x80 ? v - (1n << BigInt(8 * bytes.length)) : v;
}

export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

const DECIMAL_TEXT = /^([+-])?(\d+)(?:\.(\d*))?$|^([+-])?\.(\d+)$/;

/** Parses a plain decimal ("-1.50", "3", ".5"); scale is the number of fraction digits written. */
export function parseDecimal(text: string): { unscaled: bigint; scale: number } {
  const m = DECIMAL_TEXT.exec(text.trim());
  if (!m) {
    throw new Error(`"${text}" is not an exact decimal (NaN and Infinity cannot travel as Avro decimals)`);
  }
  const sign = m[1] ?? m[4] ?? '';
  const whole = m[2] ?? '0';
  const fraction = m[3] ?? m[5] ?? '';
  const unscaled = BigInt(`${whole}${fraction}` || '0');
  return { unscaled: sign === '-' ? -unscaled : unscaled, scale: fraction.length };
}

/** The decimal rescaled to exactly `scale` digits; refuses to drop non-zero digits (that would round). */
export function toScale(text: string, scale: number): bigint {
  const parsed = parseDecimal(text);
  if (parsed.scale <= scale) return parsed.unscaled * 10n ** BigInt(scale - parsed.scale);
  const factor = 10n ** BigInt(parsed.scale - scale);
  if (parsed.unscaled % factor !== 0n) throw new Error(`"${text}" has more than ${scale} fraction digits; refusing to round`);
  return parsed.unscaled / factor;
}

interface DecimalAttrs {
  precision: number;
  scale: number;
}

/** Avro `bytes` + logicalType `decimal` <-> JS decimal string with exactly `scale` fraction digits. */
export class DecimalType extends types.LogicalType {
  private readonly scale: number;
  private readonly precision: number;

  constructor(schema: Schema, opts?: object) {
    super(schema, opts);
    const attrs = schema as unknown as DecimalAttrs;
    this.scale = attrs.scale ?? 0;
    this.precision = attrs.precision;
  }

  override _fromValue(value: Buffer): string {
    return formatDecimal(bytesToUnscaled(value), this.scale);
  }

  /**
   * The usual case: text already canonical (capture's values are) of at most 15 digits, whose
   * unscaled value is exact as a double: no BigInt on the way. Undefined for anything else.
   */
  smallUnscaledOf(value: unknown): number | undefined {
    if (typeof value !== 'string') return undefined;
    const digits = canonicalDigits(value, this.scale);
    return digits > 0 && digits <= this.precision && digits <= 15 ? smallUnscaled(value) : undefined;
  }

  override _toValue(value: unknown): Buffer | undefined {
    if (typeof value !== 'string') return undefined;
    const small = this.smallUnscaledOf(value);
    if (small !== undefined) return smallUnscaledToBytes(small);
    const unscaled = toScale(value, this.scale);
    if ((unscaled < 0n ? -unscaled : unscaled).toString().length > this.precision) {
      throw new Error(`"${value}" has more than ${this.precision} digits`);
    }
    return unscaledToBytes(unscaled);
  }

  override _resolve(type: Type): ((x: unknown) => unknown) | undefined {
    const other = type as unknown as { scale?: number; precision?: number };
    if (type instanceof DecimalType && other.scale === this.scale) return (x) => x;
    return undefined;
  }
}

/**
 * Unconstrained `numeric`: Debezium's VariableScaleDecimal record {scale, value} <-> JS decimal
 * string exactly as PostgreSQL printed it.
 */
export class VariableDecimalType extends types.LogicalType {
  override _fromValue(value: { scale: number; value: Buffer }): string {
    return formatDecimal(bytesToUnscaled(value.value), value.scale);
  }

  override _toValue(value: unknown): { scale: number; value: Buffer } | undefined {
    if (typeof value !== 'string') return undefined;
    const parsed = parseDecimal(value);
    return { scale: parsed.scale, value: unscaledToBytes(parsed.unscaled) };
  }

  override _resolve(type: Type): ((x: unknown) => unknown) | undefined {
    return type instanceof VariableDecimalType ? (x) => x : undefined;
  }
}
