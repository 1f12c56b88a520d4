/**
 * What a tombstone (the null-value record after a delete) carries in its headers: the delete's
 * version and value schema. On a compacted table topic the cleaner removes the delete event, which
 * the tombstone supersedes, and keeps the tombstone for delete.retention.ms. A reader that comes
 * after that compaction but within that time (an apply far behind, a target restored from an older
 * backup) meets only the tombstone, which must then delete the row itself, guarded by the delete's
 * version like any change.
 */
export const TOMBSTONE_HEADERS = {
  lsn: 'paysync.lsn',
  seq: 'paysync.seq',
  tsMs: 'paysync.ts_ms',
  valueSchemaId: 'paysync.value.schema.id',
} as const;

export interface TombstoneVersion {
  lsn: bigint;
  seq: bigint;
  tsMs: bigint;
  /** The value schema of the delete event: with the key's, it names the table's shape. */
  valueSchemaId: number;
}

export function tombstoneHeaders(version: TombstoneVersion): Record<string, string> {
  return {
    [TOMBSTONE_HEADERS.lsn]: version.lsn.toString(),
    [TOMBSTONE_HEADERS.seq]: version.seq.toString(),
    [TOMBSTONE_HEADERS.tsMs]: version.tsMs.toString(),
    [TOMBSTONE_HEADERS.valueSchemaId]: String(version.valueSchemaId),
  };
}

type Headers = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** The delete's version a tombstone carries; undefined for one without (written by an older paysync). */
export function tombstoneVersion(headers: Headers | undefined): TombstoneVersion | undefined {
  const text = (name: string): string | undefined => {
    const value = headers?.[name];
    const one = Array.isArray(value) ? value[0] : value;
    return one === undefined ? undefined : one.toString();
  };
  const [lsn, seq, tsMs, schemaId] = [TOMBSTONE_HEADERS.lsn, TOMBSTONE_HEADERS.seq, TOMBSTONE_HEADERS.tsMs, TOMBSTONE_HEADERS.valueSchemaId].map(text);
  if (![lsn, seq, tsMs, schemaId].every((v) => v !== undefined && /^\d+$/.test(v))) return undefined;
  return { lsn: BigInt(lsn as string), seq: BigInt(seq as string), tsMs: BigInt(tsMs as string), valueSchemaId: Number(schemaId) };
}
