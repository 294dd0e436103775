import { z } from 'zod';
import type { BenchFile } from './bench-file.js';

export const BENCH_SCHEMA = 'agentos-chaos/bench@2';
/** The format before rounds accumulated (one run per file, no diff, no time per round): read, never written. */
export const BENCH_SCHEMA_V1 = 'agentos-chaos/bench@1';

const NON_NEGATIVE = 'must be a finite non-negative number';
const milliseconds = z.number({ error: NON_NEGATIVE }).nonnegative({ error: NON_NEGATIVE });
const statistic = z.union([milliseconds, z.null()], {
  error: `${NON_NEGATIVE}, or null when the round has no samples`,
});

const roundSummary = z.object({
  n: z
    .number({ error: 'must be a whole number of samples' })
    .int({ error: 'must be a whole number of samples' })
    .nonnegative({ error: 'must not be negative' }),
  mean: statistic,
  p50: statistic,
  p95: statistic,
  p99: statistic,
  max: statistic,
  opsPerSec: milliseconds,
  at: z.string().min(1),
});

const benchEntry = z.object({
  id: z.string().min(1),
  benchmark: z.string().min(1),
  variant: z.string().min(1),
  subject: z.string(),
  durability: z.string(),
  peer: z.boolean(),
  options: z.object({ timeMs: z.number(), warmupMs: z.number(), iterations: z.number() }),
  rounds: z.array(roundSummary).min(1, { error: 'must list at least one round' }),
  samples: z.array(z.array(milliseconds)),
});

/** The file format `agentos-chaos/bench@2`, as bench-file.ts writes it; unknown keys are dropped. */
export const benchFileSchema: z.ZodType<BenchFile> = z.object({
  schema: z.literal(BENCH_SCHEMA),
  commit: z.string(),
  dirty: z.boolean(),
  diff: z.string().nullable(),
  generatedAt: z.string(),
  environment: z.object({
    commit: z.string(),
    dirty: z.boolean(),
    diff: z.string().optional(),
    node: z.string(),
    v8: z.string(),
    sqlite: z.string(),
    cpu: z.string(),
    cores: z.number(),
    memoryGiB: z.number(),
    os: z.string(),
  }),
  tool: z.object({ name: z.literal('tinybench'), version: z.string() }),
  unit: z.literal('ms'),
  percentileMethod: z.string(),
  benchmarks: z.array(benchEntry),
});

/**
 * A bench@1 file read as bench@2: no diff (a dirty run of bench@1 was not told apart from another), and every round
 * measured when the file was written.
 */
export function upgradeV1(data: unknown): unknown {
  if (data === null || typeof data !== 'object') return data;
  const file = data as { generatedAt?: unknown; benchmarks?: unknown };
  const benchmarks = Array.isArray(file.benchmarks)
    ? file.benchmarks.map((b: unknown) => {
        const rounds = (b as { rounds?: unknown } | null)?.rounds;
        return Array.isArray(rounds)
          ? {
              ...(b as object),
              rounds: rounds.map((r: unknown) =>
                r !== null && typeof r === 'object' ? { at: file.generatedAt, ...r } : r,
              ),
            }
          : b;
      })
    : file.benchmarks;
  return { ...data, schema: BENCH_SCHEMA, diff: null, benchmarks };
}

/**
 * Where a schema issue is, in the words of the file: `benchmark "checkpoint-creation/normal", round 2, p50` rather
 * than `benchmarks.0.rounds.1.p50`.
 */
export function describeLocation(data: unknown, path: readonly PropertyKey[]): string {
  const [top, index, list, round, ...rest] = path;
  if (top !== 'benchmarks' || typeof index !== 'number') return path.map(String).join('.') || '(top level)';
  const id = (data as { benchmarks?: { id?: unknown }[] }).benchmarks?.[index]?.id;
  const parts = [typeof id === 'string' ? `benchmark "${id}"` : `benchmarks[${index}]`];
  if ((list === 'rounds' || list === 'samples') && typeof round === 'number') {
    parts.push(`round ${round + 1}`);
    if (list === 'samples') parts.push(rest.length > 0 ? `sample ${Number(rest[0]) + 1}` : 'samples');
    else parts.push(...rest.map(String));
  } else if (list !== undefined)
    parts.push(
      [list, round, ...rest]
        .filter((p) => p !== undefined)
        .map(String)
        .join('.'),
    );
  return parts.join(', ');
}

/** The value at a path, as it would be written in the file (`missing` when absent). */
export function valueAt(data: unknown, path: readonly PropertyKey[]): string {
  let value: unknown = data;
  for (const key of path)
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition, @typescript-eslint/no-base-to-string -- JSON.stringify returns undefined for undefined and functions
  return value === undefined ? 'missing' : (JSON.stringify(value) ?? String(value)).slice(0, 80);
}
