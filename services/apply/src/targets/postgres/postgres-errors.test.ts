import { isTransientPostgresError, postgresPrivilegeProblem } from './postgres-errors';

describe('isTransientPostgresError', () => {
  it('retries a lost or terminated connection, dead-letters what the row did', () => {
    expect(isTransientPostgresError({ code: '57P01', message: 'terminating connection due to administrator command' })).toBe(true);
    expect(isTransientPostgresError(new Error('Connection terminated unexpectedly'))).toBe(true);
    // The next query on a client whose connection broke between two queries of a transaction.
    expect(isTransientPostgresError(new Error('Client has encountered a connection error and is not queryable'))).toBe(true);
    expect(isTransientPostgresError({ code: '40P01', message: 'deadlock detected' })).toBe(true);
    expect(isTransientPostgresError({ code: '23514', message: 'new row violates check constraint' })).toBe(false);
    expect(isTransientPostgresError({ code: '22008', message: 'timestamp out of range' })).toBe(false);
  });

  it('does not retry a missing privilege', () => {
    expect(isTransientPostgresError({ code: '42501', message: 'permission denied for table transfers' })).toBe(false);
  });
});

describe('postgresPrivilegeProblem', () => {
  it('names a refused privilege (42501) and a refused login, as problems apply stops on', () => {
    expect(postgresPrivilegeProblem({ code: '42501', message: 'permission denied for table transfers' }, 'paysync_apply')).toEqual({
      problem: 'the target refused role "paysync_apply": permission denied for table transfers',
      fix: 'grant "paysync_apply" what the message names (deploy/sql/postgres-apply-role.sql grants what apply needs)',
    });
    expect(postgresPrivilegeProblem({ code: '42501', message: 'permission denied for schema paysync' }, 'a')?.problem).toContain('permission denied for schema paysync');
    expect(postgresPrivilegeProblem({ code: '28P01', message: 'password authentication failed for user "a"' }, 'a')?.fix).toContain('PAYSYNC_TARGET_URL');
    expect(postgresPrivilegeProblem({ code: '28000', message: 'no pg_hba.conf entry' }, 'a')).toBeDefined();
  });

  it('names PAYSYNC_TARGET_PREPARED_STATEMENTS when a pooler loses the prepared statements (26000), instead of dead-lettering the rows', () => {
    const problem = postgresPrivilegeProblem({ code: '26000', message: 'prepared statement "paysync_3" does not exist' }, 'a');
    expect(problem?.problem).toContain('prepared statement "paysync_3" does not exist');
    expect(problem?.fix).toContain('PAYSYNC_TARGET_PREPARED_STATEMENTS=false');
  });

  it('asks for ownership when apply may not add a column the source gained', () => {
    const problem = postgresPrivilegeProblem({ code: '42501', message: 'must be owner of table accounts' }, 'paysync_apply');
    expect(problem?.fix).toBe('as its owner: ALTER TABLE accounts OWNER TO "paysync_apply"; or add the column to the target table yourself');
  });

  it('leaves every other error to the transient and dead-letter paths', () => {
    for (const err of [{ code: '23505', message: 'duplicate key' }, { code: '57P01', message: 'terminating' }, new Error('Connection terminated'), undefined, null]) {
      expect(postgresPrivilegeProblem(err, 'a')).toBeUndefined();
    }
  });
});
