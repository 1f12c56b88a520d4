import { parseTextArray } from './snapshot-progress';

describe('parseTextArray', () => {
  it('reads PostgreSQL text[] output', () => {
    expect(parseTextArray('{}')).toEqual([]);
    expect(parseTextArray('{1,abc}')).toEqual(['1', 'abc']);
    expect(parseTextArray('{"a b","x,y","q\\"uote","back\\\\slash",""}')).toEqual(['a b', 'x,y', 'q"uote', 'back\\slash', '']);
  });
});
