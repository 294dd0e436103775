import { accessSync, constants } from 'node:fs';
import { availableParallelism } from 'node:os';
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
    // vitest's default is one file at a time on two cores (cores − 1); most files wait on processes and the server,
    // so two at a time is 312 s → 232 s for pnpm test on a quiet 2-core machine.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'harness/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
          globalSetup: ['harness/workers/global-build.ts'],
          env: ramTempDir(),
          // Files share their worker process instead of a fresh one each (every file re-imported the layer, the harness and
          // LangGraph): 194 s → 111 s on a quiet 2-core machine. A test file must therefore not mock modules (vi.mock).
          isolate: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
