/** A column's type as the catalog describes it (domains resolved to their base type). */
export interface ColumnType {
  /** pg_type.typname of the (base) type: 'numeric', 'int4', 'timestamptz', '_text', an enum's name. */
  typeName: string;
  /** format_type() with modifiers: 'numeric(20,4)', 'character varying(64)', 'integer[]'. */
  pgType: string;
  typeOid: number;
  category: 'base' | 'enum' | 'array' | 'other';
  /** numeric(p,s) only. */
  precision?: number;
  scale?: number;
  /** Arrays: the element type. */
  element?: ColumnType;
}

export interface ColumnShape extends ColumnType {
  name: string;
  nullable: boolean;
}

export interface TableShape {
  schema: string;
  table: string;
  columns: ColumnShape[];
  /** Primary-key column names, in index order. */
  primaryKey: string[];
}
