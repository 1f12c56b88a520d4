import { ConfigError } from '@paysync/config';
import { hmacHex } from './column-hash';
import { ColumnPolicy, type ColumnPolicySettings } from './column-policy';
import type { ColumnShape, TableShape } from './table-shape';

const KEY = 'k'.repeat(40);
const column = (name: string, typeName: string, nullable = true): ColumnShape => ({ name, typeName, pgType: typeName, typeOid: 0, category: 'base', nullable });
const cards: TableShape = {
  schema: 'public',
  table: 'cards',
  columns: [column('id', 'int8', false), column('pan', 'bpchar'), column('cvv', 'text'), column('holder', 'text', false)],
  primaryKey: ['id'],
};
const tokens: TableShape = { schema: 'public', table: 'tokens', columns: [column('token', 'int8', false), column('note', 'text')], primaryKey: ['token'] };
const settings: ColumnPolicySettings = {
  tables: ['public.cards', 'public.tokens', 'public.plain'],
  columnExclude: ['public.cards.cvv'],
  columnHash: ['public.cards.pan', 'public.tokens.token'],
  columnHashKey: KEY,
};

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.env} ${p.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('ColumnPolicy', () => {
  it('masks the shape: excluded columns gone, hashed columns text with their nullability', () => {
    const { shape, hashed } = ColumnPolicy.fromSettings(settings).forTable(cards);
    expect(shape.columns.map((c) => [c.name, c.pgType, c.nullable])).toEqual([['id', 'int8', false], ['pan', 'text', true], ['holder', 'text', false]]);
    expect(shape.primaryKey).toEqual(['id']);
    expect([...hashed]).toEqual(['pan']);
  });

  it('masks a text row: HMAC of the text, NULL stays NULL, markers stay markers, excluded columns dropped', () => {
    const marker = Symbol('unchanged');
    const { maskRow } = ColumnPolicy.fromSettings(settings).forTable(cards);
    expect(maskRow({ id: '1', pan: '4111111111111111', cvv: 'cvv-123', holder: 'Ann' })).toEqual({ id: '1', pan: hmacHex(Buffer.from(KEY), '4111111111111111'), holder: 'Ann' });
    expect(maskRow<symbol>({ id: '1', pan: marker, cvv: marker, holder: null })).toEqual({ id: '1', pan: marker, holder: null });
    expect(maskRow({ id: '1', pan: null })).toEqual({ id: '1', pan: null });
  });

  it('hashes a primary-key column (the key stays the key)', () => {
    const mask = ColumnPolicy.fromSettings(settings).forTable(tokens);
    expect(mask.shape.columns[0]).toMatchObject({ name: 'token', pgType: 'text', typeName: 'text', nullable: false });
    expect(mask.shape.primaryKey).toEqual(['token']);
    expect(mask.maskRow({ token: '42' })).toEqual({ token: hmacHex(Buffer.from(KEY), '42') });
  });

  it('leaves a table without rules as it is', () => {
    const plain: TableShape = { ...tokens, table: 'plain' };
    const mask = ColumnPolicy.fromSettings(settings).forTable(plain);
    expect(mask.shape).toBe(plain);
    expect(mask.maskRow({ token: '1', note: 'x' })).toEqual({ token: '1', note: 'x' });
    expect(ColumnPolicy.fromSettings({ tables: ['public.plain'] }).hmacPads()).toBeUndefined();
  });

  it('refuses settings that cannot be right, naming each setting', () => {
    expect(problems(() => ColumnPolicy.fromSettings({ tables: ['public.cards'], columnExclude: ['public.other.cvv'], columnHash: ['public.cards.pan', 'public.cards.cvv'] }))).toEqual([
      'PAYSYNC_COLUMN_EXCLUDE names public.other.cvv, but public.other is not in PAYSYNC_TABLES: only columns of captured tables can be filtered',
      'PAYSYNC_COLUMN_HASH_KEY is required when PAYSYNC_COLUMN_HASH names columns: Secret key of the HMAC of PAYSYNC_COLUMN_HASH, at least 32 characters (for example from a file: PAYSYNC_COLUMN_HASH_KEY_FILE). Another key changes every hash: the targets must then be rebuilt from a new snapshot.',
    ]);
    expect(problems(() => ColumnPolicy.fromSettings({ tables: ['public.cards'], columnExclude: ['public.cards.pan'], columnHash: ['public.cards.pan'], columnHashKey: KEY }))).toEqual([
      'PAYSYNC_COLUMN_HASH names public.cards.pan, which PAYSYNC_COLUMN_EXCLUDE names too: a column is either left out or hashed',
    ]);
  });

  it('refuses a shape without a listed column, and an excluded primary-key column', () => {
    const policy = ColumnPolicy.fromSettings({ tables: ['public.cards'], columnExclude: ['public.cards.id', 'public.cards.cvc'], columnHash: ['public.cards.number'], columnHashKey: KEY });
    expect(problems(() => policy.forTable(cards))).toEqual([
      'PAYSYNC_COLUMN_EXCLUDE names public.cards.cvc, but public.cards has no column "cvc" (its columns: id, pan, cvv, holder)',
      'PAYSYNC_COLUMN_HASH names public.cards.number, but public.cards has no column "number" (its columns: id, pan, cvv, holder)',
      'PAYSYNC_COLUMN_EXCLUDE names public.cards.id, a primary-key column: events are keyed by it, so it cannot be left out (PAYSYNC_COLUMN_HASH may hash it instead)',
    ]);
  });

  it('never shows its key', () => {
    const policy = ColumnPolicy.fromSettings(settings);
    expect(JSON.stringify(policy)).not.toContain(KEY);
    expect(JSON.stringify({ ...policy })).not.toContain(KEY);
  });
});
