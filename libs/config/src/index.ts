export * from './setting';
export * from './config-error';
export * from './load-config';
export * from './describe-settings';
export * from './common-settings';
export * from './security-settings';
export * from './setting-error';
export * from './command';
