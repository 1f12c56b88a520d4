// A PostgreSQL log sequence number ("16/B374D848") as an exact 64-bit integer, and back.

const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** Below 2^53 bytes of WAL (0x200000 in the high half) an LSN is exact as a double. */
const DOUBLE_EXACT_HIGH = 0x200000;

/** The LSN's two 32-bit halves, refusing what is not an LSN. */
function halves(lsn: string): { high: number; low: number } {
  const match = LSN.exec(lsn);
  if (!match) throw new Error(`not an LSN: ${JSON.stringify(lsn)}`);
  return { high: parseInt(match[1], 16), low: parseInt(match[2], 16) };
}

const bigIntOf = (high: number, low: number): bigint => (BigInt(high) << 32n) | BigInt(low);

/** Capture parses one per row change: within doubles that is one BigInt instead of three. */
export function lsnToBigInt(lsn: string): bigint {
  const { high, low } = halves(lsn);
  return high < DOUBLE_EXACT_HIGH ? BigInt(high * 0x100000000 + low) : bigIntOf(high, low);
}

/** The LSN as a decimal string (Debezium's source.sequence holds these), without a BigInt within doubles. */
export function lsnToDecimal(lsn: string): string {
  const { high, low } = halves(lsn);
  return high < DOUBLE_EXACT_HIGH ? String(high * 0x100000000 + low) : bigIntOf(high, low).toString();
}

export function bigIntToLsn(value: bigint): string {
  if (value < 0n || value > 0xffffffffffffffffn) throw new Error(`LSN out of range: ${value}`);
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}
