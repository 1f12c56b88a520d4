import { isTransientMysqlError, mysqlPrivilegeProblem } from './mysql-errors';

const ACCOUNT = "'paysync_apply'@'%'";

describe('mysqlPrivilegeProblem', () => {
  it('turns a refused table command into the GRANT of exactly that privilege', () => {
    const err = { errno: 1142, message: "INSERT command denied to user 'paysync_apply'@'127.0.0.1' for table `target`.`transfers`" };
    expect(mysqlPrivilegeProblem(err, ACCOUNT, 'target')).toEqual({
      problem: "user 'paysync_apply'@'%' lacks INSERT on `target`.`transfers`",
      fix: "GRANT INSERT ON `target`.`transfers` TO 'paysync_apply'@'%';",
    });
    // An upsert refused names both commands.
    expect(mysqlPrivilegeProblem({ errno: 1142, message: "INSERT, UPDATE command denied to user 'u'@'h' for table `target`.`transfers`" }, ACCOUNT, 'target')?.fix).toBe(
      "GRANT INSERT, UPDATE ON `target`.`transfers` TO 'paysync_apply'@'%';",
    );
    // MySQL 8 names the table without its database: the URL's database it is.
    expect(mysqlPrivilegeProblem({ errno: 1142, message: "UPDATE command denied to user 'u'@'localhost' for table 'transfers'" }, ACCOUNT, 'target')?.fix).toBe(
      "GRANT UPDATE ON `target`.`transfers` TO 'paysync_apply'@'%';",
    );
    expect(mysqlPrivilegeProblem({ errno: 1143, message: "UPDATE command denied to user 'u'@'h' for column 'note' in table 'transfers'" }, ACCOUNT, 'target')?.fix).toBe(
      "GRANT UPDATE ON `target`.`transfers` TO 'paysync_apply'@'%';",
    );
  });

  it('asks for what a created table needs next when CREATE is refused', () => {
    const created = mysqlPrivilegeProblem({ errno: 1142, message: "CREATE command denied to user 'u'@'h' for table `target`.`accounts`" }, ACCOUNT, 'target');
    expect(created?.fix).toBe("GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER ON `target`.`accounts` TO 'paysync_apply'@'%';");
    const bookkeeping = mysqlPrivilegeProblem({ errno: 1142, message: "CREATE command denied to user 'u'@'h' for table `target`.`paysync_row_versions`" }, ACCOUNT, 'target');
    expect(bookkeeping?.fix).toBe("GRANT SELECT, INSERT, UPDATE, DELETE, CREATE ON `target`.`paysync_row_versions` TO 'paysync_apply'@'%';");
  });

  it('stops on database, global and login refusals too', () => {
    for (const errno of [1044, 1045, 1227, 1370, 1698]) expect(mysqlPrivilegeProblem({ errno, message: 'Access denied' }, ACCOUNT, 'target')).toBeDefined();
  });

  it('leaves every other error to the transient and dead-letter paths', () => {
    for (const err of [{ errno: 1213, message: 'Deadlock found' }, { errno: 1062, message: 'Duplicate entry' }, { errno: 1406, message: 'Data too long' }, new Error('x'), undefined]) {
      expect(mysqlPrivilegeProblem(err, ACCOUNT, 'target')).toBeUndefined();
    }
  });
});

describe('isTransientMysqlError', () => {
  it('retries deadlocks and lost connections, not refused privileges', () => {
    expect(isTransientMysqlError({ errno: 1213 })).toBe(true);
    expect(isTransientMysqlError({ code: 'PROTOCOL_CONNECTION_LOST' })).toBe(true);
    expect(isTransientMysqlError({ errno: 1142, message: 'INSERT command denied' })).toBe(false);
  });
});
