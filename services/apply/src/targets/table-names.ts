import type { SourceTable } from '../changes/row-change';
import type { ResolvedTable, Target, TargetName } from './target';

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

  /** "public.accounts=replica.accounts,public.ledger=ledger_copy" as a map. */
  static parseMapping(entries: readonly string[], kind: Target['kind']): Map<string, TargetName> {
    const mapping = new Map<string, TargetName>();
    for (const entry of entries) {
      const [from, to] = entry.split('=');
      const parts = to.split('.');
      mapping.set(from, kind === 'postgres' && parts.length === 2 ? { schema: parts[0], table: parts[1] } : kind === 'postgres' ? { schema: 'public', table: to } : { table: to });
    }
    return mapping;
  }

  nameOf(source: SourceTable): TargetName {
    return this.mapping.get(`${source.schema}.${source.table}`) ?? this.target.defaultName(source);
  }

  async resolve(source: SourceTable): Promise<ResolvedTable> {
    const known = this.resolved.get(source);
    if (known) return known;
    const table = await this.target.resolve(source, this.nameOf(source));
    this.resolved.set(source, table);
    return table;
  }
}
