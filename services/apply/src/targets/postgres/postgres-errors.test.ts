import { isTransientPostgresError } from './postgres-errors';

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
});
