import type { SourceTable } from '../changes/row-change';
import { targetNameOf, type TargetName } from '@paysync/contract';
import type { ResolvedTable, Target } from './target';

/**
 * Where each source table lands: the target's default (PostgreSQL keeps schema.table, MariaDB/MySQL
 * the bare table name) unless PAYSYNC_TABLE_MAPPING names it. Resolved tables are cached per source
 * shape, so a schema change resolves (and alters) the target table once.
 */
export class TableNames {
  private readonly resolved = new WeakMap<SourceTable, ResolvedTable>();

  constructor(
    private readonly target: Target,
    private readonly mapping: Map<string, TargetName>,
  ) {}

  nameOf(source: SourceTable): TargetName {
    return targetNameOf(source.schema, source.table, this.target.kind, this.mapping);
  }

  async resolve(source: SourceTable): Promise<ResolvedTable> {
    const known = this.resolved.get(source);
    if (known) return known;
    const table = await this.target.resolve(source, this.nameOf(source));
    this.resolved.set(source, table);
    return table;
  }
}
