import type { ColumnShape, ColumnType, TableShape } from './table-shape';

/** What the contract needs of a database connection (a paysync pool returns every value as text). */
export interface SqlReader {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

interface TypeRow {
  ord: string;
  oid: string;
  typmod: string;
  typname: string;
  typtype: string;
  typcategory: string;
  pg_type: string;
  elem_oid: string | null;
  elem_name: string | null;
  elem_typtype: string | null;
  elem_pg_type: string | null;
}

/** numeric's typmod packs precision and scale (scale may be negative since PostgreSQL 15). */
function numericModifiers(typmod: number): { precision?: number; scale?: number } {
  if (typmod < 4) return {};
  const packed = typmod - 4;
  return { precision: (packed >> 16) & 0xffff, scale: ((packed & 0x7ff) ^ 1024) - 1024 };
}

function categoryOf(typtype: string, typcategory: string): ColumnType['category'] {
  if (typcategory === 'A') return 'array';
  if (typtype === 'e') return 'enum';
  if (typtype === 'b') return 'base';
  return 'other';
}

/**
 * Describes (type oid, typmod) pairs as the contract maps them. Used for the catalog's current
 * columns and for the columns a pgoutput Relation message names.
 */
export async function describeTypes(db: SqlReader, types: { typeOid: number; typeMod: number }[]): Promise<ColumnType[]> {
  if (types.length === 0) return [];
  const { rows } = await db.query(
    `WITH input AS (SELECT * FROM unnest($1::oid[], $2::int[]) WITH ORDINALITY AS i(oid, typmod, ord)),
          resolved AS (
            SELECT i.ord,
                   CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END AS oid,
                   CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE i.typmod END AS typmod
              FROM input i JOIN pg_type t ON t.oid = i.oid)
     SELECT r.ord, r.oid, r.typmod, t.typname, t.typtype, t.typcategory, format_type(r.oid, r.typmod) AS pg_type,
            e.oid AS elem_oid, e.typname AS elem_name, e.typtype AS elem_typtype,
            CASE WHEN e.oid IS NOT NULL THEN format_type(e.oid, r.typmod) END AS elem_pg_type
       FROM resolved r
       JOIN pg_type t ON t.oid = r.oid
       LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
      ORDER BY r.ord`,
    [types.map((t) => t.typeOid), types.map((t) => t.typeMod)],
  );
  return (rows as unknown as TypeRow[]).map((row) => {
    const typmod = Number(row.typmod);
    const type: ColumnType = {
      typeName: row.typname,
      pgType: row.pg_type,
      typeOid: Number(row.oid),
      category: categoryOf(row.typtype, row.typcategory),
      ...(row.typname === 'numeric' ? numericModifiers(typmod) : {}),
    };
    if (type.category === 'array' && row.elem_oid !== null) {
      type.element = {
        typeName: row.elem_name ?? '',
        pgType: row.elem_pg_type ?? '',
        typeOid: Number(row.elem_oid),
        category: categoryOf(row.elem_typtype ?? 'b', ''),
        ...(row.elem_name === 'numeric' ? numericModifiers(typmod) : {}),
      };
    }
    return type;
  });
}

/** The current shape of a table: its columns in order, typed, and its primary key. */
export async function readTableShape(db: SqlReader, schema: string, table: string): Promise<TableShape> {
  const { rows } = await db.query(
    `SELECT a.attname AS name, a.atttypid AS type_oid, a.atttypmod AS type_mod, NOT a.attnotnull AS nullable,
            COALESCE(array_position(string_to_array(i.indkey::text, ' ')::int2[], a.attnum), 0) AS pk_position
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
      WHERE n.nspname = $1 AND c.relname = $2
      ORDER BY a.attnum`,
    [schema, table],
  );
  if (rows.length === 0) throw new Error(`table ${schema}.${table} does not exist (or has no columns)`);
  const typed = await describeTypes(
    db,
    rows.map((r) => ({ typeOid: Number(r.type_oid), typeMod: Number(r.type_mod) })),
  );
  const columns: ColumnShape[] = rows.map((r, i) => ({ name: String(r.name), nullable: r.nullable === 't', ...typed[i] }));
  const primaryKey = rows
    .filter((r) => Number(r.pk_position) > 0)
    .sort((a, b) => Number(a.pk_position) - Number(b.pk_position))
    .map((r) => String(r.name));
  return { schema, table, columns, primaryKey };
}
