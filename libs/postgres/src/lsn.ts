// A PostgreSQL log sequence number ("16/B374D848") as an exact 64-bit integer, and back.

/** Below 2^53 bytes of WAL (0x200000 in the high half) an LSN is exact as a double. */
const DOUBLE_EXACT_HIGH = 0x200000;

/** The value of one hex digit's char code, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1; // a-f, A-F
}

/** The halves of the LSN parsed last: capture parses one or two per row, so no match array or object per call. */
let high = 0;
let low = 0;

/** Reads the LSN's two 32-bit halves (1 to 8 hex digits each, around one '/') into `high` and `low`, refusing what is not an LSN. */
function parseHalves(lsn: string): void {
  let value = 0;
  let digits = 0;
  let slash = -1;
  for (let i = 0; i < lsn.length; i++) {
    const c = lsn.charCodeAt(i);
    if (c === 47 && slash < 0 && digits > 0) {
      high = value;
      value = 0;
      digits = 0;
      slash = i;
      continue;
    }
    const digit = hexDigit(c);
    if (digit < 0 || ++digits > 8) throw new Error(`not an LSN: ${JSON.stringify(lsn)}`);
    value = value * 16 + digit;
  }
  if (slash < 0 || digits === 0) throw new Error(`not an LSN: ${JSON.stringify(lsn)}`);
  low = value;
}

const bigIntOf = (high: number, low: number): bigint => (BigInt(high) << 32n) | BigInt(low);

/** Capture parses one per row change: within doubles that is one BigInt instead of three. */
export function lsnToBigInt(lsn: string): bigint {
  parseHalves(lsn);
  return high < DOUBLE_EXACT_HIGH ? BigInt(high * 0x100000000 + low) : bigIntOf(high, low);
}

/** The LSN as a decimal string (Debezium's source.sequence holds these), without a BigInt within doubles. */
export function lsnToDecimal(lsn: string): string {
  parseHalves(lsn);
  return high < DOUBLE_EXACT_HIGH ? String(high * 0x100000000 + low) : bigIntOf(high, low).toString();
}

export function bigIntToLsn(value: bigint): string {
  if (value < 0n || value > 0xffffffffffffffffn) throw new Error(`LSN out of range: ${value}`);
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}
