import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const ELECTRON = { name: 'electron', message: 'Only main/ and preload/ may import electron.' };
/** The daemon modules the renderer may use besides shared/ (which holds the API contract): pure, browser-safe helpers. */
const RENDERER_DAEMON = {
  regex: '(^|/)daemon/(?!(api/(retry-after|format|outcome|project-labels)|limits/describe)\\.ts$)',
  message: 'The renderer reaches the daemon through its HTTP API: import shared/ (the API contract) or the pure helpers of daemon/api, never daemon internals.',
};
const DAEMON_UP = { group: ['**/main/**', '**/renderer/**', '**/preload/**'], message: 'The daemon never imports main/, renderer/ or preload/ (it runs without Electron and without a UI).' };

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
  // Per-folder import directions (docs/architecture.md, "Layers"). Flat config: the last block that matches a
  // file sets its no-restricted-imports, so each block lists everything that folder may not import.
  {
    // shared/: the API contract and the types and tiny guards that cross processes; depends on nothing but itself.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [ELECTRON], patterns: [{ regex: '(^|/)(main|renderer|preload|daemon)/', message: 'shared/ depends on nothing but itself.' }] }],
    },
  },
  {
    // renderer → shared and the daemon's browser-safe API modules; never daemon internals, main or preload.
    files: ['renderer/**/*.{ts,tsx}'],
    ignores: ['renderer/**/*.test.{ts,tsx}', 'renderer/src/test-*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [ELECTRON], patterns: [RENDERER_DAEMON, { group: ['**/main/**', '**/preload/**'], message: 'The renderer never imports main/ or preload/: what they share lives in shared/.' }] }],
    },
  },
  {
    // preload → electron and shared only.
    files: ['preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/daemon/**', '**/main/**', '**/renderer/**'], message: 'preload/ uses shared/ only.' }] }],
    },
  },
  {
    // main → shared and the daemon's host side (host.ts, host-target.ts, pidfile, data-lock); never the renderer or the CLI.
    files: ['main/**/*.ts'],
    ignores: ['main/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/renderer/**'], message: 'main/ shares types with the renderer through shared/.' },
        { group: ['**/daemon/cli/**'], message: 'main/ runs the daemon through daemon/host.ts, never the CLI.' },
      ] }],
    },
  },
  {
    // daemon → never main, renderer or preload (and never electron).
    files: ['daemon/**/*.ts'],
    ignores: ['daemon/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [ELECTRON], patterns: [DAEMON_UP] }],
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
          paths: [ELECTRON],
          patterns: [DAEMON_UP, { group: ['**/cli/*', './cli/*'], message: 'daemon core must not import from daemon/cli/ (move shared code out of cli/).' }],
        },
      ],
    },
  },
  {
    // Tests may use helpers across folders, but never the real electron (vi.mock it).
    files: ['daemon/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}', 'renderer/src/test-*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [ELECTRON] }],
    },
  },
);
