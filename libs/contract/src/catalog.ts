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
  typelem: string;
  pg_type: string;
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
 * columns and for the columns a pgoutput Relation message names. Domains (also domains over
 * domains, and domains as array elements) are resolved to their base type with its modifiers, so
 * a domain over numeric(12,2) travels as an exact decimal and a sink can create the column
 * without the domain.
 */
export async function describeTypes(db: SqlReader, types: { typeOid: number; typeMod: number }[]): Promise<ColumnType[]> {
  if (types.length === 0) return [];
  const { rows } = await db.query(
    `WITH RECURSIVE input AS (SELECT * FROM unnest($1::oid[], $2::int[]) WITH ORDINALITY AS i(oid, typmod, ord)),
          resolved AS (
            SELECT i.ord, i.oid, i.typmod FROM input i
            UNION ALL
            SELECT r.ord, t.typbasetype, t.typtypmod FROM resolved r JOIN pg_type t ON t.oid = r.oid AND t.typtype = 'd')
     SELECT r.ord, r.oid, r.typmod, t.typname, t.typtype, t.typcategory, t.typelem, format_type(r.oid, r.typmod) AS pg_type
       FROM resolved r
       JOIN pg_type t ON t.oid = r.oid AND t.typtype <> 'd'
      ORDER BY r.ord`,
    [types.map((t) => t.typeOid), types.map((t) => t.typeMod)],
  );
  const byOrdinal = new Map((rows as unknown as TypeRow[]).map((row) => [Number(row.ord), row]));
  const described = types.map((input, i): { type: ColumnType; elementOid?: number; typmod: number } => {
    const row = byOrdinal.get(i + 1);
    if (!row) throw new Error(`type oid ${input.typeOid} is not in pg_type`);
    const typmod = Number(row.typmod);
    const type: ColumnType = {
      typeName: row.typname,
      pgType: row.pg_type,
      typeOid: Number(row.oid),
      category: categoryOf(row.typtype, row.typcategory),
      ...(row.typname === 'numeric' ? numericModifiers(typmod) : {}),
    };
    return type.category === 'array' ? { type, elementOid: Number(row.typelem), typmod } : { type, typmod };
  });
  // An array's typmod is its element's (numeric(10,2)[] has numeric(10,2)'s); describe elements
  // the same way, which also resolves an array of a domain.
  const arrays = described.filter((d) => d.elementOid !== undefined);
  const elements = await describeTypes(db, arrays.map((d) => ({ typeOid: d.elementOid ?? 0, typeMod: d.typmod })));
  arrays.forEach((d, i) => {
    d.type.element = elements[i];
    d.type.pgType = `${elements[i].pgType}[]`;
  });
  return described.map((d) => d.type);
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
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
      ORDER BY a.attnum`,
    [schema, table],
  );
  if (rows.length === 0) throw new Error(`table ${schema}.${table} does not exist (or is not a table, or has no columns)`);
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
