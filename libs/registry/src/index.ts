export * from './schema-registry-client';
export * from './registry-security';
