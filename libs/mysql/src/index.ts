export * from './mysql-pool';
