import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.stack/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'kafkajs', message: 'Use @paysync/kafka: kafkajs sits behind that one module.' },
          { name: 'pg', message: 'Use @paysync/postgres: pg sits behind that one module.' },
          { name: 'pg-logical-replication', message: 'Use @paysync/postgres.' },
          { name: '@kafkajs/confluent-schema-registry', message: 'Use @paysync/registry.' },
          { name: 'mysql2', message: 'Use @paysync/mysql: mysql2 sits behind that one module.' },
          { name: 'mysql2/promise', message: 'Use @paysync/mysql.' },
        ],
      }],
    },
  },
  {
    files: ['libs/kafka/src/**', 'libs/postgres/src/**', 'libs/mysql/src/**', 'libs/registry/src/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
