import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    clearMocks: true,
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['daemon/**/*.test.ts', 'main/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
        },
      },
    ],
  },
});
