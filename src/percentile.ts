/** The one percentile method used by the layer's metrics, the harness's checks and every report. */
export const PERCENTILE_METHOD = 'nearest-rank (sample at index ⌈q·n⌉−1 of the sorted samples)';

export type Percentile = 'p50' | 'p95' | 'p99';

/** Fewer samples than 1/(1−q) × 10 say little about the q-th percentile. */
const MIN_SAMPLES: Readonly<Record<Percentile, number>> = { p50: 20, p95: 200, p99: 1000 };

/** The index ⌈q·n⌉−1 (clamped to 0..n−1) of the q-th nearest-rank percentile among n sorted samples, n ≥ 1. */
export function nearestRankIndex(n: number, q: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
}

/** Nearest-rank percentile (q in [0, 1]) of samples sorted ascending: the sample at index ⌈q·n⌉−1; null for none. */
export function nearestRank(sorted: ArrayLike<number>, q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[nearestRankIndex(sorted.length, q)] ?? null;
}

/** Mean, nearest-rank percentiles and maximum of a set of latency samples (ms). */
export interface LatencySummary {
  n: number;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  /** Percentiles computed from too few samples to mean much (fewer than 1/(1−q) × 10 samples). */
  insufficient: Percentile[];
}

/** Summarises samples in any order; the input is not modified. */
export function summarizeLatencies(samples: ArrayLike<number>): LatencySummary {
  const n = samples.length;
  if (n === 0)
    return { n, mean: null, p50: null, p95: null, p99: null, max: null, insufficient: ['p50', 'p95', 'p99'] };
  const sorted = Float64Array.from(samples).sort(); // a typed array sorts numerically
  let sum = 0;
  for (const x of sorted) sum += x;
  return {
    n,
    mean: sum / n,
    p50: nearestRank(sorted, 0.5),
    p95: nearestRank(sorted, 0.95),
    p99: nearestRank(sorted, 0.99),
    max: sorted[n - 1] ?? null,
    insufficient: (['p50', 'p95', 'p99'] as const).filter((p) => n < MIN_SAMPLES[p]),
  };
}
