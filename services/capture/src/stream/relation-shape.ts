import { describeTypes, readTableShape, type TableShape } from '@paysync/contract';
import type { Pgoutput, Pool } from '@paysync/postgres';

/**
 * The shape a Relation message describes: its columns, in its order, typed by their own type oid
 * and modifier (the catalog may already be ahead of this point in the WAL), nullability and the
 * primary key taken from the catalog where the column still exists.
 */
export async function shapeOfRelation(pool: Pool, relation: Pgoutput.MessageRelation): Promise<TableShape> {
  const catalog = await readTableShape(pool, relation.schema, relation.name).catch(() => undefined);
  const types = await describeTypes(pool, relation.columns.map((c) => ({ typeOid: c.typeOid, typeMod: c.typeMod })));
  const columns = relation.columns.map((c, i) => ({
    name: c.name,
    nullable: catalog?.columns.find((known) => known.name === c.name)?.nullable ?? true,
    ...types[i],
  }));
  const primaryKey = catalog?.primaryKey.every((k) => columns.some((c) => c.name === k)) ? catalog.primaryKey : relation.keyColumns;
  return { schema: relation.schema, table: relation.name, columns, primaryKey };
}
