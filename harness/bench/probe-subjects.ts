import { existsSync } from 'node:fs';
import type { Subject } from './subjects.js';
import { unsliceable } from './slicing.js';

/** A file whose existence makes 'probe-crash' fail at its next call (the variable names it; unset: never). */
export const PROBE_CRASH_FILE_VARIABLE = 'AGENTOS_BENCH_PROBE_CRASH_FILE';

const nothing = async (): Promise<Subject> => ({ run: () => undefined, teardown: () => undefined });

/** The benchmark runner's own probes: operations that cost nothing, so its tests time no real work. */
export const probeSubjects = {
  /** A call that does nothing. */
  'probe-noop': nothing,
  /** The same, declared unable to idle between slices (as a peer's background runner is). */
  'probe-unsliceable': unsliceable(nothing),
  /** A call that does nothing until the file named by PROBE_CRASH_FILE_VARIABLE exists, then fails the worker. */
  'probe-crash': async (): Promise<Subject> => {
    const file = process.env[PROBE_CRASH_FILE_VARIABLE];
    return {
      run: () => {
        if (file !== undefined && existsSync(file)) throw new Error(`probe crashed: ${file} exists`);
      },
      teardown: () => undefined,
    };
  },
} as const;
