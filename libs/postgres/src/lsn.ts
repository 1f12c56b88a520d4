// A PostgreSQL log sequence number ("16/B374D848") as an exact 64-bit integer, and back.

const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

export function lsnToBigInt(lsn: string): bigint {
  const match = LSN.exec(lsn);
  if (!match) throw new Error(`not an LSN: ${JSON.stringify(lsn)}`);
  const high = parseInt(match[1], 16);
  const low = parseInt(match[2], 16);
  // Capture parses one per WAL message: below 2^53 bytes of WAL the value is exact as a double, one BigInt instead of three.
  return high < 0x200000 ? BigInt(high * 0x100000000 + low) : (BigInt(high) << 32n) | BigInt(low);
}


/** The LSN as a decimal string (Debezium's source.sequence holds these), without a BigInt below 2^53. */
export function lsnToDecimal(lsn: string): string {
  const match = LSN.exec(lsn);
  if (!match) throw new Error(`not an LSN: ${JSON.stringify(lsn)}`);
  const high = parseInt(match[1], 16);
  return high < 0x200000 ? String(high * 0x100000000 + parseInt(match[2], 16)) : lsnToBigInt(lsn).toString();
}

export function bigIntToLsn(value: bigint): string {
  if (value < 0n || value > 0xffffffffffffffffn) throw new Error(`LSN out of range: ${value}`);
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}
