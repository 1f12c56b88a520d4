import { chunkQuery } from './chunk-query';

const table = { schema: 'public', table: 'orders', keyColumns: ['region', 'id'] };

describe('chunkQuery', () => {
  it('pages by key after the last key, with the limit as a parameter', () => {
    expect(chunkQuery(table, null, null, 500)).toEqual({ sql: 'SELECT * FROM "public"."orders" ORDER BY "region", "id" LIMIT $1', params: ['500'] });
    expect(chunkQuery(table, ['eu', '7'], null, 500)).toEqual({
      sql: 'SELECT * FROM "public"."orders" WHERE ("region", "id") > ($1, $2) ORDER BY "region", "id" LIMIT $3',
      params: ['eu', '7', '500'],
    });
  });

  it('puts a predicate in parentheses beside the key bound', () => {
    expect(chunkQuery(table, ['eu', '7'], "amount > 10 OR region = 'us'", 10).sql).toBe(
      `SELECT * FROM "public"."orders" WHERE ("region", "id") > ($1, $2) AND (amount > 10 OR region = 'us') ORDER BY "region", "id" LIMIT $3`,
    );
    expect(chunkQuery(table, null, 'amount > 10', 10).sql).toBe('SELECT * FROM "public"."orders" WHERE (amount > 10) ORDER BY "region", "id" LIMIT $1');
  });
});
