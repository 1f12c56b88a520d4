import type { Statement, StatementNames } from '@paysync/postgres';

/**
 * Shapes of the statements besides the upserts, whose shapes are the fields of their unchanged
 * columns joined by commas: a newline is in no Avro field name, so none is taken for another.
 */
export const NEW_KEYS_SHAPE = '\nnew keys';
export const CONFLICTS_SHAPE = '\nconflicts';

/** The statements of one table, each built once per shape and named to be prepared. */
export class TableStatements {
  private readonly byShape = new Map<string, Statement>();

  constructor(private readonly names: StatementNames) {}

  /** `shape` tells apart the statements of the table (an upsert per set of unchanged columns, the new-keys insert, ...). */
  of(shape: string, build: () => string): Statement {
    let statement = this.byShape.get(shape);
    if (!statement) {
      statement = this.names.statement(build());
      this.byShape.set(shape, statement);
    }
    return statement;
  }
}
