/** "schema.table" as configured, split at the first dot (PAYSYNC_TABLES is validated to have one). */
export function splitTableName(name: string): [schema: string, table: string] {
  const dot = name.indexOf('.');
  return [name.slice(0, dot), name.slice(dot + 1)];
}
