export * from './mysql-pool';
export * from './mysql-url';
export * from './mysql-access';
