import { ColumnPolicy, hmacHex, partitionOf, type ColumnShape, type RegistrySerde, type Row, type TableShape } from '@paysync/contract';
import { UNCHANGED_TOAST } from '@paysync/postgres';
import { decodeTuple, keyOf, TableCodecs } from './table-codecs';

const KEY = 'test-key-of-at-least-32-characters!';
const column = (name: string, typeName: string): ColumnShape => ({ name, typeName, pgType: typeName, typeOid: 0, category: 'base', nullable: true });
const cards: TableShape = { schema: 'public', table: 'cards', columns: [column('id', 'int8'), column('pan', 'text'), column('cvv', 'text'), column('holder', 'text')], primaryKey: ['id'] };
const tokens: TableShape = { schema: 'public', table: 'tokens', columns: [column('pan', 'text'), column('note', 'text')], primaryKey: ['pan'] };

/** Codecs whose registry keeps each schema it is given and whose encoders keep each value, by subject. */
function codecs() {
  const schemas = new Map<string, object>();
  const encoded: [string, unknown][] = [];
  const serde = {
    encoderFor: async (subject: string, schema: object) => {
      schemas.set(subject, schema);
      return { schemaId: 1, encode: (value: unknown) => (encoded.push([subject, value]), Buffer.from('x')) };
    },
  } as unknown as RegistrySerde;
  const columnPolicy = ColumnPolicy.fromSettings({
    tables: ['public.cards', 'public.tokens'],
    columnExclude: ['public.cards.cvv'],
    columnHash: ['public.cards.pan', 'public.tokens.pan'],
    columnHashKey: KEY,
  });
  return { schemas, encoded, codecs: new TableCodecs({ serde, topicPrefix: 'p', columnPolicy, ensureTopic: async () => 3 }) };
}

const hmac = (text: string) => hmacHex(Buffer.from(KEY), text);

describe('TableCodecs with a column policy', () => {
  it('registers schemas without the excluded column and with the hashed one as a string', async () => {
    const { codecs: all, schemas } = codecs();
    const { codec } = await all.forShape(cards);
    const value = JSON.stringify(schemas.get('p.public.cards-value'));
    expect(value).not.toContain('cvv');
    expect(value).toContain('{"name":"pan","type":["null","string"],"default":null,"pg.type":"text"}');
    expect(codec.sourceShape).toBe(cards);
  });

  it('decodes a tuple masked: HMAC for the hashed column, nothing of the excluded one', async () => {
    const { codec } = await codecs().codecs.forShape(cards);
    expect(decodeTuple(codec, { id: '7', pan: '4111111111111111', cvv: 'cvv-917', holder: 'Ann' })).toEqual({
      row: { id: 7n, pan: hmac('4111111111111111'), holder: 'Ann' },
      unchanged: [],
    });
    expect(decodeTuple(codec, { id: '7', pan: null, cvv: null, holder: null }).row).toEqual({ id: 7n, pan: null, holder: null });
  });

  it('keeps an unchanged TOAST value of a hashed column unchanged, not the hash of nothing', async () => {
    const { codec } = await codecs().codecs.forShape(cards);
    expect(decodeTuple(codec, { id: '7', pan: UNCHANGED_TOAST, cvv: UNCHANGED_TOAST, holder: 'Ann' })).toEqual({ row: { id: 7n, pan: null, holder: 'Ann' }, unchanged: ['pan'] });
  });

  it('hashes a primary-key column in the Kafka key, and picks the partition from the hashed key', async () => {
    const { codecs: all, encoded } = codecs();
    const { codec } = await all.forShape(tokens);
    const { partition } = keyOf(codec, { pan: '4111111111111111', note: 'n' });
    expect(encoded).toEqual([
      ['p.public.tokens-truncate-key', { table: 'public.tokens' }],
      ['p.public.tokens-key', { pan: hmac('4111111111111111') } satisfies Row],
    ]);
    expect(partition).toBe(partitionOf(JSON.stringify([hmac('4111111111111111')]), 3));
  });

  it('refuses a shape the policy no longer fits (a protected column renamed), so it cannot flow unmasked', async () => {
    const renamed = { ...cards, columns: cards.columns.map((c) => (c.name === 'pan' ? { ...c, name: 'card_number' } : c)) };
    await expect(codecs().codecs.forShape(renamed)).rejects.toThrow('PAYSYNC_COLUMN_HASH names public.cards.pan, but public.cards has no column "pan"');
  });
});
