import { formatPgArray, parsePgArray } from './pg-array';

describe('formatPgArray', () => {
  it('quotes every element and escapes only quotes and backslashes', () => {
    expect(formatPgArray(['a', null, '', 'NULL', 'say "hi"', 'C:\\dir\\', 'x,y', '{}', ' pad '])).toBe(
      '{"a",NULL,"","NULL","say \\"hi\\"","C:\\\\dir\\\\","x,y","{}"," pad "}',
    );
    expect(formatPgArray([])).toBe('{}');
  });

  it('reads back as it was written, whatever the element text', () => {
    const items = ['plain', null, '', '"', '\\', '\\"', '""\\\\', 'ünïcödé 💳', 'NULL', 'a\nb', '{"json": [1, 2]}'];
    expect(parsePgArray(formatPgArray(items))).toEqual(items);
  });
});
