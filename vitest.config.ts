import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'harness/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
          globalSetup: ['harness/workers/global-build.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'chaos',
          include: ['harness/vitest/declared.spec.ts'],
          globalSetup: ['harness/workers/global-build.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          // One spec file runs every declared test in order: scenarios start their own workers, one at a time.
          sequence: { concurrent: false },
        },
      },
    ],
  },
});
