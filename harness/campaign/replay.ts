import { z } from 'zod';
import { CRASH_POINTS } from '../../src/crash-points.js';
import type { Schedule } from './schedule.js';
import { runnable } from './shrink.js';

const group = z.enum(['writer', 'tools', 'runner']);
const count = z.number().int().positive();

const scheduleSchema = z
  .object({
    seed: z.number().int().nonnegative(),
    writers: z.number().int().nonnegative(),
    commits: count,
    tools: z.number().int().nonnegative(),
    steps: z.number().int().nonnegative(),
    faults: z.array(
      z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('kill'), target: group, after: count }).strict(),
        z.object({ kind: z.literal('crash-point'), target: group, point: z.enum(CRASH_POINTS), at: count }).strict(),
        z.object({ kind: z.literal('stale-runner'), after: count }).strict(),
        z.object({ kind: z.literal('lock'), after: count, holdMs: count }).strict(),
        z.object({ kind: z.literal('disk-full'), after: count }).strict(),
        z.object({ kind: z.literal('backup'), after: count }).strict(),
      ]),
    ),
  })
  .strict();

/** A schedule from a repro line's JSON, validated (an error names the key path). */
export function parseSchedule(json: string): Schedule {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(`not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = scheduleSchema.safeParse(value);
  if (!parsed.success)
    throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  if (!runnable(parsed.data)) {
    throw new Error(
      'the schedule cannot run: it needs some work (writers, tools or steps) and every fault aimed at a workload it has',
    );
  }
  return parsed.data;
}
