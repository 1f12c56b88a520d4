import { runStatement, StatementNames } from './prepared-statements';

describe('StatementNames', () => {
  it('gives each text one name, the same every time', () => {
    const names = new StatementNames(true);
    const a = names.statement('SELECT 1');
    const b = names.statement('SELECT 2');
    expect(a).toEqual({ name: 'paysync_1', text: 'SELECT 1' });
    expect(b.name).toBe('paysync_2');
    expect(names.statement('SELECT 1').name).toBe('paysync_1');
  });

  it('names nothing when off (a pooler that loses prepared statements)', () => {
    expect(new StatementNames(false).statement('SELECT 1')).toEqual({ name: undefined, text: 'SELECT 1' });
  });

  it('runs new texts unnamed past 500 names, and the named ones stay named', () => {
    const names = new StatementNames(true);
    for (let i = 1; i <= 500; i++) expect(names.statement(`SELECT ${i}`).name).toBe(`paysync_${i}`);
    expect(names.statement('SELECT 501').name).toBeUndefined();
    expect(names.statement('SELECT 7').name).toBe('paysync_7');
  });
});

describe('runStatement', () => {
  it('hands node-postgres a named query, or the text and values', async () => {
    const calls: unknown[][] = [];
    const db = { query: async (...args: unknown[]) => (calls.push(args), { rows: [], rowCount: 0 }) };
    await runStatement(db, { name: 'paysync_1', text: 'SELECT $1' }, [5]);
    await runStatement(db, { name: undefined, text: 'SELECT $1' }, [6]);
    expect(calls).toEqual([[{ name: 'paysync_1', text: 'SELECT $1', values: [5] }], ['SELECT $1', [6]]]);
  });
});
