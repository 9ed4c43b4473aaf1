import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    clearMocks: true,
    testTimeout: 20_000,
    hookTimeout: 30_000,
    globalSetup: ['test/tmp-root.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['daemon/**/*.test.ts', 'main/**/*.test.ts', 'shared/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'renderer',
          environment: 'jsdom',
          include: ['renderer/**/*.test.{ts,tsx}'],
          setupFiles: ['renderer/src/test-setup.ts'],
          testTimeout: 60_000, // several 15 s waits (test-setup.ts) may add up in one test under load
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['e2e/**/*.e2e.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
