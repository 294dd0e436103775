import quantileT from '@stdlib/stats-base-dists-t-quantile';
import { roundMedian, type BenchEntry, type BenchFile } from '../report/bench-file.js';
import { PEER_REASON } from './compare.js';

/** Earlier runs a noise estimate needs before it may fail a run (with fewer, s and t are too uncertain to gate on). */
export const MIN_BASELINE_RUNS = 5;

export interface BaselineOptions {
  /** Chance that an unchanged run fails the gate; split evenly over the run's comparisons (Bonferroni). */
  falseAlarmRate: number;
  /** Practical threshold on P50: a regression must also be more than 1 + T times the baseline's geometric mean. */
  thresholdP50: number;
  thresholdP99: number;
  /**
   * Whether P99 is gated too. Off by default: one run's P99 varies 28–160 % (s of ln P99) from run to run on a shared
   * 2-core machine, so its bound is many times the baseline and only dilutes the P50 comparisons' share of the rate.
   */
  gateP99: boolean;
  /** P99 is gated only when every round on both sides has at least this many samples. */
  minP99Samples: number;
}

export const DEFAULT_BASELINE: BaselineOptions = {
  falseAlarmRate: 0.01,
  thresholdP50: 0.1,
  thresholdP99: 0.2,
  gateP99: false,
  minP99Samples: 1000,
};

export type BaselineVerdict = 'regression' | 'improvement' | 'no change' | 'not gated';

export interface BaselineRow {
  id: string;
  stat: 'p50' | 'p99';
  /** This statistic in each baseline run that has the benchmark (a run's value is the median over its rounds). */
  runs: number[];
  head: number;
  /** Geometric mean of the baseline runs: exp(mean of ln value). */
  center: number;
  /** Standard deviation of ln value over the baseline runs (0.1 ≈ 10 % run-to-run spread); null with fewer than 2 runs. */
  spread: number | null;
  /** head ÷ center. */
  ratio: number;
  /** One-sided prediction bounds for one more run of unchanged code, each at level 1 − alpha; null with fewer than 2 runs. */
  bounds: [number, number] | null;
  verdict: BaselineVerdict;
  /** Why a row is not gated. */
  reason?: string;
}

export interface BaselineComparison {
  /** Baseline files given. */
  runs: number;
  /** Whether the gate decides (at least MIN_BASELINE_RUNS baseline runs); otherwise every row is 'not gated'. */
  gated: boolean;
  /** Gated comparisons this run makes, over which falseAlarmRate is split. */
  comparisons: number;
  /** One-sided level of each comparison's bound: falseAlarmRate ÷ comparisons. */
  alpha: number;
  rows: BaselineRow[];
}

/**
 * The head run against the run-to-run noise of earlier runs. Per benchmark variant and statistic, with m baseline
 * values y₁…yₘ (noise is multiplicative, so in logs): μ and s are the mean and standard deviation of ln yᵢ, and the
 * t-based prediction bound for one new run is exp(μ ± t(1 − α, m − 1) · s · √(1 + 1/m)). A head value above the upper
 * bound and more than 1 + T times exp(μ) is a regression; below the lower bound and under 1 / (1 + T), an improvement.
 */
export function compareWithBaseline(
  baseline: BenchFile[],
  head: BenchFile,
  options: BaselineOptions = DEFAULT_BASELINE,
): BaselineComparison {
  const gatedRun = baseline.length >= MIN_BASELINE_RUNS;
  const candidates: Omit<BaselineRow, 'bounds' | 'verdict'>[] = [];
  for (const h of head.benchmarks) {
    const entries = baseline
      .map((f) => f.benchmarks.find((b) => b.id === h.id))
      .filter((b): b is BenchEntry => b !== undefined);
    for (const stat of ['p50', 'p99'] as const) {
      const headValue = roundMedian(h, stat);
      const runs = entries.map((b) => roundMedian(b, stat)).filter((v): v is number => v !== null && v > 0);
      if (headValue === null || runs.length === 0) continue;
      const logs = runs.map(Math.log);
      const mu = mean(logs);
      const row = {
        id: h.id,
        stat,
        runs,
        head: headValue,
        center: Math.exp(mu),
        spread: runs.length >= 2 ? standardDeviation(logs, mu) : null,
        ratio: headValue / Math.exp(mu),
      };
      const fewSamples =
        stat === 'p99' && [h, ...entries].some((b) => b.rounds.some((r) => r.n < options.minP99Samples));
      const reason = h.peer
        ? PEER_REASON
        : !gatedRun
          ? `${baseline.length} earlier run(s), ${MIN_BASELINE_RUNS} needed`
          : runs.length < MIN_BASELINE_RUNS
            ? `in ${runs.length} of the earlier runs only`
            : stat === 'p99' && !options.gateP99
              ? "one run's P99 is too noisy; --gate-p99"
              : fewSamples
                ? `a round has fewer than ${options.minP99Samples} samples`
                : undefined;
      candidates.push(reason === undefined ? row : { ...row, reason });
    }
  }
  const comparisons = candidates.filter((r) => r.reason === undefined).length;
  const alpha = options.falseAlarmRate / Math.max(1, comparisons);
  const rows = candidates.map((row): BaselineRow => {
    const bounds =
      row.spread === null ? null : predictionBounds(Math.log(row.center), row.spread, row.runs.length, alpha);
    if (row.reason !== undefined || bounds === null) return { ...row, bounds, verdict: 'not gated' };
    const threshold = row.stat === 'p50' ? options.thresholdP50 : options.thresholdP99;
    const verdict: BaselineVerdict =
      row.head > bounds[1] && row.ratio > 1 + threshold
        ? 'regression'
        : row.head < bounds[0] && row.ratio < 1 / (1 + threshold)
          ? 'improvement'
          : 'no change';
    return { ...row, bounds, verdict };
  });
  return { runs: baseline.length, gated: gatedRun, comparisons, alpha, rows };
}

/** Lower and upper one-sided (1 − alpha) prediction bounds of one more log-normal observation, back in ms. */
function predictionBounds(mu: number, s: number, m: number, alpha: number): [number, number] {
  const half = quantileT(1 - alpha, m - 1) * s * Math.sqrt(1 + 1 / m);
  return [Math.exp(mu - half), Math.exp(mu + half)];
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function standardDeviation(xs: number[], mu: number): number {
  return Math.sqrt(xs.reduce((a, x) => a + (x - mu) ** 2, 0) / (xs.length - 1));
}
