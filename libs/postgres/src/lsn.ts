// A PostgreSQL log sequence number ("16/B374D848") as an exact 64-bit integer, and back.

/** Below 2^53 bytes of WAL (0x200000 in the high half) an LSN is exact as a double. */
const DOUBLE_EXACT_HIGH = 0x200000;

/** The value of one hex digit's char code, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1; // a-f, A-F
}

/**
 * The LSN as a double when below 2^53 (DOUBLE_EXACT_HIGH), else -1; throws for what is not an LSN
 * (1 to 8 hex digits, '/', 1 to 8 hex digits). Capture parses one or two per row: no match array,
 * no substrings, no object.
 */
function valueWithinDoubles(lsn: string): number {
  let value = 0;
  let digits = 0;
  let high = -1;
  for (let i = 0; i < lsn.length; i++) {
    const c = lsn.charCodeAt(i);
    if (c === 47 && high < 0 && digits > 0) {
      high = value;
      value = 0;
      digits = 0;
      continue;
    }
    const digit = hexDigit(c);
    if (digit < 0 || ++digits > 8) throw new Error(`not an LSN: ${JSON.stringify(lsn)}`);
    value = value * 16 + digit;
  }
  if (high < 0 || digits === 0) throw new Error(`not an LSN: ${JSON.stringify(lsn)}`);
  return high < DOUBLE_EXACT_HIGH ? high * 0x100000000 + value : -1;
}

/** An LSN at or above 2^53 (already checked by valueWithinDoubles), in BigInt arithmetic. */
function bigValue(lsn: string): bigint {
  const slash = lsn.indexOf('/');
  return (BigInt(`0x${lsn.slice(0, slash)}`) << 32n) | BigInt(`0x${lsn.slice(slash + 1)}`);
}

/** Capture parses one per row change: within doubles that is one BigInt instead of three. */
export function lsnToBigInt(lsn: string): bigint {
  const value = valueWithinDoubles(lsn);
  return value >= 0 ? BigInt(value) : bigValue(lsn);
}

/** The LSN as a decimal string (Debezium's source.sequence holds these), without a BigInt within doubles. */
export function lsnToDecimal(lsn: string): string {
  const value = valueWithinDoubles(lsn);
  return value >= 0 ? exactDecimal(value) : bigValue(lsn).toString();
}

/**
 * String(n) of an integer above 2^31 runs V8's shortest-round-trip double printer (~100 ns, once
 * per captured row here); two halves below 10^9 print as small integers in a third of that.
 */
function exactDecimal(n: number): string {
  if (n < 1e9) return String(n);
  const upper = Math.floor(n / 1e9);
  const lower = String(n - upper * 1e9);
  return String(upper) + '000000000'.slice(lower.length) + lower;
}

export function bigIntToLsn(value: bigint): string {
  if (value < 0n || value > 0xffffffffffffffffn) throw new Error(`LSN out of range: ${value}`);
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}
