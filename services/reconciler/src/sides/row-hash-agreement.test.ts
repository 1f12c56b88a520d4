import { agreeOnRowHash } from './row-hash-agreement';
import type { SqlRunner } from './sql-side';

/** A runner answering the probe with `answer` (a hash, or an error to throw). */
function runner(dialect: SqlRunner['dialect'], answer: string | Error): SqlRunner {
  return {
    dialect,
    tableName: () => 't',
    query: async () => {
      if (answer instanceof Error) throw answer;
      return [{ h: answer }];
    },
    checkAccess: async () => undefined,
    dependency: { kind: 'postgres', name: 'PostgreSQL', address: '127.0.0.1:1', setting: 'TEST_URL' },
    close: async () => undefined,
  };
}

const missingFunction = Object.assign(new Error('function hashtextextended(text, integer) does not exist'), { code: '42883' });

describe('agreeOnRowHash', () => {
  it('uses PostgreSQL’s own hash when both sides are PostgreSQL and hash the probe alike', async () => {
    expect((await agreeOnRowHash(runner('postgres', '1.2'), runner('postgres', '1.2'))).method).toBe('hash64');
  });

  it('falls back to md5 for a MariaDB target, a server hashing otherwise, or one without the function', async () => {
    expect(await agreeOnRowHash(runner('postgres', '1.2'), runner('mysql', 'unused'))).toEqual({ method: 'md5', why: 'the target is not PostgreSQL' });
    const otherOrder = await agreeOnRowHash(runner('postgres', '1.2'), runner('postgres', '3.4'));
    expect(otherOrder.method).toBe('md5');
    expect(otherOrder.why).toContain('1.2 and 3.4');
    expect((await agreeOnRowHash(runner('postgres', '1.2'), runner('postgres', missingFunction))).method).toBe('md5');
  });

  it('does not decide on a side that does not answer', async () => {
    await expect(agreeOnRowHash(runner('postgres', '1.2'), runner('postgres', new Error('connect ECONNREFUSED')))).rejects.toThrow('ECONNREFUSED');
  });
});
