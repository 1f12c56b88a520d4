/** Where a source table lands in a target. */
export interface TargetName {
  /** PostgreSQL: the schema; MariaDB/MySQL: undefined (the URL's database). */
  schema?: string;
  table: string;
}

export type TargetKind = 'postgres' | 'mysql';

export function targetKindOf(url: string): TargetKind {
  const protocol = new URL(url).protocol;
  return protocol === 'mysql:' || protocol === 'mariadb:' ? 'mysql' : 'postgres';
}

/**
 * PAYSYNC_TABLE_MAPPING entries ("public.accounts=replica.accounts") as a map from source
 * schema.table to target name; a bare target name on PostgreSQL means schema public.
 */
export function parseTableMapping(entries: readonly string[], kind: TargetKind): Map<string, TargetName> {
  const mapping = new Map<string, TargetName>();
  for (const entry of entries) {
    const [from, to] = entry.split('=');
    const parts = to.split('.');
    if (kind === 'mysql') mapping.set(from, { table: parts[parts.length - 1] });
    else mapping.set(from, parts.length === 2 ? { schema: parts[0], table: parts[1] } : { schema: 'public', table: to });
  }
  return mapping;
}

/** A PostgreSQL target keeps the source's schema.table; MariaDB/MySQL the bare table name; a mapping wins. */
export function targetNameOf(schema: string, table: string, kind: TargetKind, mapping: Map<string, TargetName>): TargetName {
  return mapping.get(`${schema}.${table}`) ?? (kind === 'postgres' ? { schema, table } : { table });
}
