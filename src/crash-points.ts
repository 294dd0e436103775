import { writeSync } from 'node:fs';

/**
 * The moments where a crash is most dangerous. The harness arms one through the environment
 * (AGENTOS_CRASH_POINT=<point>:<n>); the process then dies with SIGKILL the n-th time it passes that point.
 */
export const CRASH_POINTS = [
  /** Inside a checkpoint's transaction: the row is inserted, COMMIT has not run. */
  'checkpoint.before-commit',
  /** A checkpoint's COMMIT has run; the caller has not heard of it. */
  'checkpoint.after-commit',
  /** A tool call's 'started' row is committed; the command has not been started. */
  'tool.after-start-row',
  /** The command is running; its result is not recorded. */
  'tool.after-spawn',
  /** The command has finished; its result row is not written. */
  'tool.before-result-row',
  /** A lease was acquired and committed; the caller has not heard of it. */
  'lease.after-acquire',
  /** Inside a sweep batch's transaction: recovery checkpoints inserted, leases not yet reclaimed. */
  'sweep.mid-batch',
  /** A task step ran (its side effects happened); its checkpoint is not written. */
  'task.after-step',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

/** The environment variable that arms a crash point: "<point>:<n>". */
export const CRASH_POINT_VARIABLE = 'AGENTOS_CRASH_POINT';

/** The point armed in this process and at which pass it fires, read once at start-up. */
function armedPoint(value: string | undefined): { point: CrashPoint; at: number } | undefined {
  if (value === undefined || value === '') return undefined;
  const [point, at] = value.split(':');
  const n = Number(at);
  if (!CRASH_POINTS.includes(point as CrashPoint) || !Number.isSafeInteger(n) || n < 1) {
    throw new Error(
      `${CRASH_POINT_VARIABLE}=${value}: expected "<point>:<n>" with n ≥ 1 and point one of ${CRASH_POINTS.join(', ')}`,
    );
  }
  return { point: point as CrashPoint, at: n };
}

const armed = armedPoint(process.env[CRASH_POINT_VARIABLE]);
let passes = 0;

/** Marks a crash point. Disarmed (the normal case) it is one comparison; armed, the n-th pass kills the process. */
export function crashPoint(point: CrashPoint): void {
  if (armed?.point !== point || ++passes < armed.at) return;
  // Said on stderr first (synchronously), so the harness can tell which point fired.
  writeSync(2, `crash point ${point} reached (pass ${passes}): SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
}
