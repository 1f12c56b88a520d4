import { predicateProblem } from './row-predicate';

describe('predicateProblem', () => {
  it('accepts one condition, with parentheses, ; and -- inside strings, names and dollar quotes', () => {
    for (const ok of [
      "region = 'eu'",
      "(amount > 10 AND (state IN ('a)', 'b;')))",
      `"odd)name" = 'it''s -- fine'`,
      "note = E'a\\'); DROP TABLE x; --'",
      'memo = $q$); DELETE FROM t; --$q$',
      'memo = $$)$$',
      "price$ > 1 AND name ILIKE 'x%'",
    ]) {
      expect({ ok, problem: predicateProblem(ok) }).toEqual({ ok, problem: undefined });
    }
  });

  it('refuses what would close the parentheses or the statement', () => {
    expect(predicateProblem('true) OR (true')).toBe('closes a parenthesis it did not open');
    expect(predicateProblem('(true')).toBe('leaves a parenthesis open');
    expect(predicateProblem('true; DELETE FROM t')).toBe('has a ";": it must be one condition, not statements');
    expect(predicateProblem('true -- ORDER BY')).toMatch(/has a comment/);
    expect(predicateProblem('true /* x */')).toMatch(/has a comment/);
    expect(predicateProblem("name = 'open")).toBe('has a string that is not closed');
    expect(predicateProblem("name = E'\\')")).toBe('has a string that is not closed');
    expect(predicateProblem('"open = 1')).toBe('has a quoted name that is not closed');
    expect(predicateProblem('memo = $q$)')).toBe('has a dollar-quoted string ($q$) that is not closed');
    expect(predicateProblem('  ')).toBe('is empty');
  });
});
