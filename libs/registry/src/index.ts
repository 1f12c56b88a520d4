export * from './schema-registry-client';
