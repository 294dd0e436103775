import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PERCENTILE_METHOD, type LatencySummary } from '../recorder.js';
import type { BenchResult } from '../result.js';
import type { Environment } from './environment.js';

/** The statistics of one round (one fresh-process run) of one benchmark variant, and when it was measured. */
export type RoundSummary = Omit<LatencySummary, 'insufficient'> & {
  opsPerSec: number;
  /**
   * ISO time of the run (`pnpm bench`) that measured the round: rounds with the same time came from one run, back to
   * back. bench@1 files: the file's generatedAt.
   */
  at: string;
};

export interface BenchEntry {
  /** "<benchmark id>/<variant>", stable across commits. */
  id: string;
  benchmark: string;
  variant: string;
  subject: string;
  durability: string;
  peer: boolean;
  options: { timeMs: number; warmupMs: number; iterations: number };
  rounds: RoundSummary[];
  /** Retained samples of every round (each at most 2,000, spread over the sorted samples), for confidence intervals. */
  samples: number[][];
}

/**
 * reports/bench/<short-commit>.json (or <short-commit>-dirty-<diff>.json): every round measured of one state of the
 * code on one machine; each `pnpm bench` adds its rounds. Versioned so a comparison can refuse a file it does not
 * understand; bench@1 files (one run each) are read as bench@2 files of one round.
 */
export interface BenchFile {
  schema: 'agentos-chaos/bench@2';
  commit: string;
  dirty: boolean;
  /** Hash of the uncommitted changes to tracked files (dirty only, else null): rounds of two edits never share a file. */
  diff: string | null;
  /** When the latest round was added. */
  generatedAt: string;
  environment: Environment;
  tool: { name: 'tinybench'; version: string };
  unit: 'ms';
  percentileMethod: string;
  benchmarks: BenchEntry[];
}

/** The installed tinybench's version: its package.json is not exported, so it is found beside the resolved entry. */
export function tinybenchVersion(): string {
  try {
    for (
      let dir = dirname(createRequire(import.meta.url).resolve('tinybench'));
      dir !== dirname(dir);
      dir = dirname(dir)
    ) {
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tinybench') return pkg.version ?? 'unknown';
    }
  } catch {
    // Not installed, or unreadable: the file says so.
  }
  return 'unknown';
}

/** One round of every benchmark in `results`, measured by the run of time `at`. */
export function toBenchFile(
  results: BenchResult[],
  environment: Environment,
  options: (id: string) => BenchEntry['options'],
  at: string = new Date().toISOString(),
): BenchFile {
  const benchmarks: BenchEntry[] = [];
  for (const r of results) {
    for (const m of r.measurements) {
      const { n, mean, p50, p95, p99, max } = m.summary;
      benchmarks.push({
        id: `${r.id}/${m.variant}`,
        benchmark: r.id,
        variant: m.variant,
        subject: m.subject,
        durability: m.durability,
        peer: m.peer,
        options: options(r.id),
        rounds: [{ n, mean, p50, p95, p99, max, opsPerSec: m.opsPerSec, at }],
        samples: [m.samples],
      });
    }
  }
  return {
    schema: 'agentos-chaos/bench@2',
    commit: environment.commit,
    dirty: environment.dirty,
    diff: environment.dirty ? (environment.diff ?? null) : null,
    generatedAt: at,
    environment,
    tool: { name: 'tinybench', version: tinybenchVersion() },
    unit: 'ms',
    percentileMethod: PERCENTILE_METHOD,
    benchmarks,
  };
}

/** Merges files of the same code (rounds of an A/B run, or a file and the rounds added to it) into one with every round. */
export function mergeRounds(files: BenchFile[]): BenchFile {
  const [first, ...rest] = files;
  if (!first) throw new Error('no bench files to merge');
  const latest = files.map((f) => f.generatedAt).reduce((a, b) => (b > a ? b : a));
  const byId = new Map(first.benchmarks.map((b) => [b.id, { ...b, rounds: [...b.rounds], samples: [...b.samples] }]));
  for (const f of rest) {
    for (const b of f.benchmarks) {
      const into = byId.get(b.id);
      if (into) {
        into.rounds.push(...b.rounds);
        into.samples.push(...b.samples);
      } else byId.set(b.id, { ...b, rounds: [...b.rounds], samples: [...b.samples] });
    }
  }
  return { ...first, generatedAt: latest, benchmarks: [...byId.values()] };
}

/** Median of the per-round values of a statistic (a single round is its own median). */
export function roundMedian(entry: BenchEntry, stat: 'p50' | 'p99'): number | null {
  const values = entry.rounds
    .map((r) => r[stat])
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b);
  if (values.length === 0) return null;
  const mid = Math.floor(values.length / 2);
  return values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

/** Bencher Metric Format: latency in nanoseconds (value P50, bounds P50..P99) and throughput in ops/s. */
export function toBmf(
  file: BenchFile,
): Record<string, Record<string, { value: number; lower_value?: number; upper_value?: number }>> {
  const out: Record<string, Record<string, { value: number; lower_value?: number; upper_value?: number }>> = {};
  for (const b of file.benchmarks) {
    const p50 = roundMedian(b, 'p50') ?? 0;
    const p99 = roundMedian(b, 'p99') ?? p50;
    const ops = b.rounds.reduce((s, r) => s + r.opsPerSec, 0) / Math.max(1, b.rounds.length);
    out[b.id] = {
      latency: { value: p50 * 1e6, lower_value: p50 * 1e6, upper_value: p99 * 1e6 },
      throughput: { value: ops },
    };
  }
  return out;
}

/** github-action-benchmark's customSmallerIsBetter format: one P50 and one P99 entry per benchmark, in ms. */
export function toGithubActionBenchmark(
  file: BenchFile,
): { name: string; unit: string; value: number; range?: string; extra?: string }[] {
  return file.benchmarks.flatMap((b) => [
    {
      name: `${b.id} P50`,
      unit: 'ms',
      value: roundMedian(b, 'p50') ?? 0,
      extra: `${b.rounds.length} round(s), ${b.rounds[0]?.n ?? 0} samples, ${b.durability.toUpperCase()}`,
    },
    { name: `${b.id} P99`, unit: 'ms', value: roundMedian(b, 'p99') ?? 0 },
  ]);
}
