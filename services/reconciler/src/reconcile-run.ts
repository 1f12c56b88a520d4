import { readTableShape, targetNameOf, type ColumnPolicy, type TargetKind, type TargetName } from '@paysync/contract';
import { createPool, type Pool } from '@paysync/postgres';
import { confirmPersistent } from './compare/persistence-check';
import type { PipelineFence } from './compare/pipeline-fence';
import { narrowDifferences, type Candidate } from './compare/range-narrowing';
import type { DriftRepair } from './repair/drift-repair';
import type { RowHash } from './sides/row-hash';
import type { ComparedTable, ReconcileSide } from './sides/side';

/** One table's findings, keys as objects of their primary-key columns. */
export interface TableReport {
  table: string;
  rows: number;
  missing: Record<string, string | number>[];
  extra: Record<string, string | number>[];
  different: Record<string, string | number>[];
  /** Differences on rows that kept changing during the re-checks: looked at again next run. */
  unsettled: number;
  /** Why the re-checks could not wait for the pipeline (their differences are unsettled). */
  fenceMissed?: string;
  /** Drifted keys re-published through Kafka (repair on). */
  repaired: number;
  /** Why drift was not repaired although repair is on. */
  repairSkipped?: string;
  seconds: number;
  /** Rows hashed per second, both sides together. */
  rowsPerSecond: number;
}

export interface RunReport {
  startedAt: string;
  finishedAt: string;
  /** How rows were hashed on both sides (row-hash.ts). */
  rowHash: RowHash;
  tables: TableReport[];
}

export interface RunOptions {
  leafRows: number;
  splitFactor: number;
  maxRowsPerSecond: number;
  recheckDelaysMs: number[];
  fence: PipelineFence;
  repair?: DriftRepair;
  /** PAYSYNC_COLUMN_EXCLUDE and PAYSYNC_COLUMN_HASH: compared as capture sent them. */
  columnPolicy: ColumnPolicy;
}

/** Source and target, the tables to compare and how: one run over them gives one report. */
export class ReconcileRun {
  constructor(
    private readonly sourcePool: Pool,
    private readonly source: ReconcileSide,
    private readonly target: ReconcileSide,
    private readonly options: RunOptions,
  ) {}

  async run(tables: string[], rowHash: RowHash, onTable?: (report: TableReport) => void): Promise<RunReport> {
    const startedAt = new Date().toISOString();
    const reports: TableReport[] = [];
    for (const label of tables) {
      const report = await this.compareTable(label, rowHash);
      reports.push(report);
      onTable?.(report);
    }
    return { startedAt, finishedAt: new Date().toISOString(), rowHash, tables: reports };
  }

  private async compareTable(label: string, rowHash: RowHash): Promise<TableReport> {
    const [schema, name] = label.split('.');
    const { shape, hashed } = this.options.columnPolicy.forTable(await readTableShape(this.sourcePool, schema, name));
    const keyColumns = shape.primaryKey.map((k) => shape.columns.find((c) => c.name === k)!);
    const table: ComparedTable = { label, columns: shape.columns, keyColumns, hashed, rowHash };
    const started = Date.now();
    let scanned = 0;
    const { rows, candidates } = await narrowDifferences(this.source, this.target, table, {
      leafRows: this.options.leafRows,
      splitFactor: this.options.splitFactor,
      scanned: async (n) => {
        scanned += n;
        await this.throttle(scanned, started);
      },
    });
    const { drift, unsettled, fenceMissed } = await confirmPersistent(this.source, this.target, table, candidates, {
      delaysMs: this.options.recheckDelaysMs,
      fence: () => this.options.fence.pass(label),
    });
    // Capture re-reads by source key; of a hashed key the reconciler knows only the HMAC.
    const keyHashed = keyColumns.some((c) => hashed.has(c.name));
    const repaired = this.options.repair && !keyHashed ? await this.options.repair.repair(table, drift.map((d) => d.key)) : 0;
    const seconds = (Date.now() - started) / 1000;
    const keysOf = (kind: Candidate['kind']) => drift.filter((d) => d.kind === kind).map((d) => keyObject(table, d.key));
    return {
      table: label,
      rows,
      missing: keysOf('missing'),
      extra: keysOf('extra'),
      different: keysOf('different'),
      unsettled,
      ...(fenceMissed ? { fenceMissed } : {}),
      repaired,
      ...(this.options.repair && keyHashed && drift.length > 0 ? { repairSkipped: 'its primary key is hashed (PAYSYNC_COLUMN_HASH): capture cannot re-read a key known only by its HMAC' } : {}),
      seconds,
      rowsPerSecond: Math.round(scanned / Math.max(seconds, 0.001)),
    };
  }

  private async throttle(scanned: number, started: number): Promise<void> {
    if (this.options.maxRowsPerSecond <= 0) return;
    const due = (scanned / this.options.maxRowsPerSecond) * 1000 - (Date.now() - started);
    if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
  }
}

const INTEGER = new Set(['int2', 'int4', 'int8']);

function keyObject(table: ComparedTable, key: string[]): Record<string, string | number> {
  return Object.fromEntries(
    table.keyColumns.map((c, i) => [c.name, INTEGER.has(c.typeName) && Number.isSafeInteger(Number(key[i])) ? Number(key[i]) : key[i]]),
  );
}

export function targetNames(kind: TargetKind, mapping: Map<string, TargetName>): (table: ComparedTable) => TargetName {
  return (table) => {
    const [schema, name] = table.label.split('.');
    return targetNameOf(schema, name, kind, mapping);
  };
}

export function openSourcePool(url: string): Pool {
  return createPool(url, { applicationName: 'paysync-reconciler', max: 2, setting: 'PAYSYNC_SOURCE_URL' });
}
