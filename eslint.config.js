import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'release/', 'daemon/public/', 'test-results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['daemon/**/*.ts', 'renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Only main/ and preload/ may import electron.' }] }],
    },
  },
  {
    // The daemon's core never reaches into the command line: cli/ sits on top of the daemon (daemon/host.ts),
    // not under it. Only cli/ itself, the plain-Node entry (which is `cco run`) and tests may import from it.
    files: ['daemon/**/*.ts'],
    ignores: ['daemon/cli/**', 'daemon/entry-node.ts', 'daemon/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'Only main/ and preload/ may import electron.' }],
          patterns: [{ group: ['**/cli/*', './cli/*'], message: 'daemon core must not import from daemon/cli/ (move shared code out of cli/).' }],
        },
      ],
    },
  },
);
