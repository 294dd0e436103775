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
    // Whether a file gets a fresh process is read from here, not from the project: with the project's isolate: false
    // alone every file still started a process of its own and imported everything again (pnpm test 135 s → 101 s wall,
    // 215 s → 152 s CPU on a shared 2-core machine).
    poolOptions: { forks: { isolate: false } },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'harness/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
          globalSetup: ['harness/workers/global-build.ts'],
          env: ramTempDir(),
          // Files share their worker process and its loaded modules (with poolOptions above) instead of re-importing the
          // layer, the harness and LangGraph each. A test file must therefore not mock modules (vi.mock) and must leave
          // no global state behind (cwd, environment, listeners).
          isolate: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
