import type { BenchEntry, BenchFile } from '../report/bench-file.js';
import { roundMedian } from '../report/bench-file.js';
import { seededRandom } from '../random.js';

export interface CompareOptions {
  /** Regression threshold on P50: flagged only when the CI's lower bound exceeds 1 + T. Default 0.10. */
  thresholdP50: number;
  /** Threshold on P99 (default 0.20), gated only when both sides have at least minP99Samples samples. */
  thresholdP99: number;
  minP99Samples: number;
  resamples: number;
  seed: number;
}

export const DEFAULT_COMPARE: CompareOptions = {
  thresholdP50: 0.1,
  thresholdP99: 0.2,
  minP99Samples: 1000,
  resamples: 1000,
  seed: 1,
};

/** Rounds per side a verdict needs to be a gate (what --refs runs at least). */
export const MIN_GATE_ROUNDS = 5;

/**
 * 'possible …': from fewer than MIN_GATE_ROUNDS rounds on a side. With one round the interval covers only the noise
 * within that run, not from run to run, and a few rounds say little about it; so the verdict is indicative and never
 * fails a comparison.
 */
export type Verdict =
  | 'regression'
  | 'improvement'
  | 'no change'
  | 'not gated'
  | 'possible regression'
  | 'possible improvement';

export interface ComparisonRow {
  id: string;
  stat: 'p50' | 'p99';
  base: number;
  head: number;
  ratio: number;
  ci: [number, number];
  verdict: Verdict;
  method: string;
  /** Both sides have at least MIN_GATE_ROUNDS rounds: a change is a verdict, not an indication. */
  gated: boolean;
}

/**
 * Bootstrap 95 % interval of the ratio head/base of a statistic. With several rounds per side, rounds are
 * resampled (their per-round values); with one round, the retained samples are.
 */
export function bootstrapRatio(
  base: BenchEntry,
  head: BenchEntry,
  stat: 'p50' | 'p99',
  options: CompareOptions,
): { ci: [number, number]; method: string } {
  const random = seededRandom(options.seed);
  const q = stat === 'p50' ? 0.5 : 0.99;
  const useRounds = base.rounds.length >= 2 && head.rounds.length >= 2;
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const ratios: number[] = [];
  if (useRounds) {
    const b = base.rounds.map((r) => r[stat]).filter((v): v is number => v !== null);
    const h = head.rounds.map((r) => r[stat]).filter((v): v is number => v !== null);
    for (let i = 0; i < options.resamples; i++) {
      ratios.push(median(h.map(() => pick(h))) / median(b.map(() => pick(b))));
    }
  } else {
    const b = base.samples.flat();
    const h = head.samples.flat();
    const bs = new Float64Array(b.length);
    const hs = new Float64Array(h.length);
    for (let i = 0; i < options.resamples; i++) {
      for (let j = 0; j < bs.length; j++) bs[j] = pick(b);
      for (let j = 0; j < hs.length; j++) hs[j] = pick(h);
      ratios.push(quantile(hs.sort(), q) / quantile(bs.sort(), q));
    }
  }
  ratios.sort((x, y) => x - y);
  return {
    ci: [quantile(ratios, 0.025), quantile(ratios, 0.975)],
    method: useRounds
      ? `${base.rounds.length}+${head.rounds.length} rounds`
      : `${base.samples.flat().length}+${head.samples.flat().length} samples`,
  };
}

/** Compares every benchmark present in both files. */
export function compareBenchFiles(
  base: BenchFile,
  head: BenchFile,
  options: CompareOptions = DEFAULT_COMPARE,
): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const h of head.benchmarks) {
    const b = base.benchmarks.find((x) => x.id === h.id);
    if (!b) continue;
    for (const stat of ['p50', 'p99'] as const) {
      const bv = roundMedian(b, stat);
      const hv = roundMedian(h, stat);
      if (bv === null || hv === null || bv === 0) continue;
      const { ci, method } = bootstrapRatio(b, h, stat, options);
      const threshold = stat === 'p50' ? options.thresholdP50 : options.thresholdP99;
      const enough =
        stat === 'p50' ||
        (Math.min(...b.rounds.map((r) => r.n)) >= options.minP99Samples &&
          Math.min(...h.rounds.map((r) => r.n)) >= options.minP99Samples);
      const gated = Math.min(b.rounds.length, h.rounds.length) >= MIN_GATE_ROUNDS;
      const change = ci[0] > 1 + threshold ? 'regression' : ci[1] < 1 / (1 + threshold) ? 'improvement' : undefined;
      const verdict: Verdict = !enough ? 'not gated' : !change ? 'no change' : gated ? change : `possible ${change}`;
      rows.push({ id: h.id, stat, base: bv, head: hv, ratio: hv / bv, ci, verdict, method, gated });
    }
  }
  return rows;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function quantile(sorted: ArrayLike<number>, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
