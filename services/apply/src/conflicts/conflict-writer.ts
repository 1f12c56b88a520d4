import { codecFor, type Row } from '@paysync/contract';
import { sendAcked, type Producer } from '@paysync/kafka';
import type { RowChange } from '../changes/row-change';
import type { Conflict, ConflictPolicy } from './conflict';

/**
 * Conflicts go to <prefix>.conflicts.<group> as JSON, keyed by the row's key, with both rows and
 * the reason, every value as PostgreSQL's text of it (exact, whatever the type), for a person to
 * decide; the change's own record stays where the headers say. Sent before the target commits.
 */
export class ConflictWriter {
  constructor(
    private readonly producer: Producer,
    readonly topic: string,
    private readonly policy: ConflictPolicy,
  ) {}

  async write(conflicts: Conflict[]): Promise<void> {
    if (conflicts.length === 0) return;
    await sendAcked(this.producer, [
      {
        topic: this.topic,
        messages: conflicts.map((c) => ({
          key: c.change.rowKey,
          value: JSON.stringify(conflictRecord(c, this.policy)),
          headers: {
            'paysync.source.topic': c.topic,
            'paysync.source.partition': String(c.partition),
            'paysync.source.offset': c.change.offset.toString(),
          },
        })),
      },
    ]);
  }
}

export function conflictRecord(conflict: Conflict, policy: ConflictPolicy): Record<string, unknown> {
  const { change } = conflict;
  return {
    table: `${change.table.schema}.${change.table.table}`,
    key: JSON.parse(change.rowKey) as string[],
    reason: conflict.reason,
    policy,
    resolution: conflict.applied ? 'incoming change applied' : 'incoming change not applied, target row kept',
    incoming: {
      expected: change.expected.map((e) => textRow(change, e.row, [])),
      after: change.row ? textRow(change, change.row, change.unchanged) : null,
      lsn: change.version.lsn.toString(),
      seq: change.version.seq.toString(),
      commit_time: new Date(change.commitTimeMs).toISOString(),
    },
    target: conflict.targetRow,
    source: { topic: conflict.topic, partition: conflict.partition, offset: change.offset.toString() },
    detected_at: new Date().toISOString(),
  };
}

/** Column name -> PostgreSQL's text of the value (null stays null; a column not sent is left out). */
function textRow(change: RowChange, row: Row, unchanged: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  change.table.columns.forEach((column, i) => {
    const field = change.table.fields[i];
    if (!(field in row) || unchanged.includes(field)) return;
    const value = row[field];
    out[column.name] = value === null || value === undefined ? null : codecFor(column).toPgText(value);
  });
  return out;
}
