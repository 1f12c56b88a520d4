import { encodeRereadRequest, REREAD_REQUEST_PREFIX } from '@paysync/contract';
import type { Pool } from '@paysync/postgres';
import { keyLiteral } from '../sides/canonical-row';
import type { ComparedTable, Key } from '../sides/side';

/** Keys per request: a logical message stays small, and capture re-reads a request in windows anyway. */
const KEYS_PER_REQUEST = 1000;

/**
 * Repairs drift by asking capture to re-read the drifted keys (DESIGN.md 3.3): a request written
 * into the source's WAL, which capture serves with a watermark window over those keys, so their
 * current rows (or deletes) flow through Kafka like any change and apply stays the only writer of
 * the target. A request lost to a capture crash is asked again by the next run that still sees the drift.
 */
export class DriftRepair {
  constructor(private readonly source: Pool) {}

  async repair(table: ComparedTable, keys: Key[]): Promise<number> {
    const literals = keys.map((key) => key.map((text, i) => keyLiteral(table.keyColumns[i], text)));
    for (let start = 0; start < literals.length; start += KEYS_PER_REQUEST) {
      const request = encodeRereadRequest({ table: table.label, keys: literals.slice(start, start + KEYS_PER_REQUEST) });
      await this.source.query('SELECT pg_logical_emit_message(false, $1, $2)', [REREAD_REQUEST_PREFIX, request]);
    }
    return keys.length;
  }
}
