import { accessSync, constants } from 'node:fs';
import { defineConfig } from 'vitest/config';

/**
 * Unit tests keep their temporary files in RAM where the machine has a tmpfs: they test logic, and an fsync to a
 * shared disk only makes them slow. Durability on a real disk is what the power-loss scenarios and the benchmarks
 * of `pnpm chaos` measure.
 */
function ramTempDir(): Record<string, string> {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return { TMPDIR: '/dev/shm' };
  } catch {
    return {};
  }
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'harness/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
          globalSetup: ['harness/workers/global-build.ts'],
          env: ramTempDir(),
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
