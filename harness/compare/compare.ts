import quantileT from '@stdlib/stats-base-dists-t-quantile';
import type { BenchEntry, BenchFile } from '../report/bench-file.js';

export interface CompareOptions {
  /** Practical threshold on P50: a regression must also be more than 1 + T times the base. Default 0.10. */
  thresholdP50: number;
  /** The same for P99 (default 0.20), which is gated only with gateP99. */
  thresholdP99: number;
  /** P99 is gated only when every round on both sides has at least this many samples. */
  minP99Samples: number;
  /** Chance that comparing two files of unchanged code fails; split evenly over the gated comparisons (Bonferroni). */
  falseAlarmRate: number;
  /** Whether P99 is gated too (one round's P99 varies far more than its P50, so by default it is shown only). */
  gateP99: boolean;
}

export const DEFAULT_COMPARE: CompareOptions = {
  thresholdP50: 0.1,
  thresholdP99: 0.2,
  minP99Samples: 1000,
  falseAlarmRate: 0.01,
  gateP99: false,
};

/**
 * Rounds per side a comparison needs before it decides. With fewer, the spread of a round cannot be estimated (one
 * round) or its estimate is so uncertain that the t bound is useless (two rounds a side: t(0.999, 2) = 22). The
 * numbers behind three are in docs/benchmarks.md.
 */
export const MIN_GATE_ROUNDS = 3;

/**
 * A peer's variant (another library timed beside ours, e.g. LangGraph's SqliteSaver) is shown, never gated: this
 * repository's changes do not change its code, and a gated comparison would only dilute the false-alarm rate.
 */
export const PEER_REASON = 'a peer: shown, not gated';

export type Verdict = 'regression' | 'improvement' | 'no change' | 'not gated';

export interface ComparisonRow {
  id: string;
  /** The benchmark the variant belongs to (what `pnpm bench --only` takes). */
  benchmark: string;
  stat: 'p50' | 'p99';
  /** Rounds with a value of this statistic on each side. */
  rounds: [number, number];
  /** Geometric mean over the rounds of each side, ms. */
  base: number;
  head: number;
  /** head ÷ base. */
  ratio: number;
  /** Pooled standard deviation of ln(value) within the rounds of a side (0.05 ≈ 5 % round-to-round); null with too few rounds. */
  spread: number | null;
  /** The ratio's (1 − alpha) one-sided lower and upper bounds; null when not gated. */
  bounds: [number, number] | null;
  verdict: Verdict;
  /** Why a row is not gated. */
  reason?: string;
}

export interface FileComparison {
  rows: ComparisonRow[];
  /** Gated comparisons, over which falseAlarmRate is split. */
  comparisons: number;
  /** One-sided level of each comparison: falseAlarmRate ÷ comparisons. */
  alpha: number;
  /** More rounds each side needs before every P50 row is gated (0: none). */
  needed: { base: number; head: number };
}

/** The values of a statistic over the rounds of an entry (rounds without one are left out). */
function roundValues(entry: BenchEntry, stat: 'p50' | 'p99'): number[] {
  return entry.rounds.map((r) => r[stat]).filter((v): v is number => v !== null && v > 0);
}

/**
 * Compares every benchmark variant present in both files, round by round. Noise from one round (a fresh process) to
 * the next is multiplicative, so it is modelled in logs: with per-round values b₁…bₘ and h₁…hₙ, d is the difference
 * of the mean ln values and s their pooled standard deviation, and d ± t(1 − α, m + n − 2) · s · √(1/m + 1/n) bounds
 * it (a two-sample t test). A ratio above its lower bound's 1 (significant at α) and above 1 + T is a regression; the
 * mirror image an improvement. α is the false-alarm rate split over the gated comparisons.
 */
export function compareBenchFiles(
  base: BenchFile,
  head: BenchFile,
  options: CompareOptions = DEFAULT_COMPARE,
): FileComparison {
  const candidates: Omit<ComparisonRow, 'bounds' | 'verdict'>[] = [];
  const needed = { base: 0, head: 0 };
  for (const h of head.benchmarks) {
    const b = base.benchmarks.find((x) => x.id === h.id);
    if (!b) continue;
    for (const stat of ['p50', 'p99'] as const) {
      const bv = roundValues(b, stat).map(Math.log);
      const hv = roundValues(h, stat).map(Math.log);
      if (bv.length === 0 || hv.length === 0) continue;
      const d = mean(hv) - mean(bv);
      const enough = bv.length >= MIN_GATE_ROUNDS && hv.length >= MIN_GATE_ROUNDS;
      if (stat === 'p50' && !h.peer) {
        needed.base = Math.max(needed.base, MIN_GATE_ROUNDS - bv.length);
        needed.head = Math.max(needed.head, MIN_GATE_ROUNDS - hv.length);
      }
      const fewSamples = stat === 'p99' && [b, h].some((e) => e.rounds.some((r) => r.n < options.minP99Samples));
      const reason = h.peer
        ? PEER_REASON
        : !enough
          ? `${bv.length} + ${hv.length} round(s), ${MIN_GATE_ROUNDS} a side needed`
          : stat === 'p99' && !options.gateP99
            ? "a round's P99 is too noisy; --gate-p99"
            : fewSamples
              ? `a round has fewer than ${options.minP99Samples} samples`
              : undefined;
      const row = {
        id: h.id,
        benchmark: h.benchmark,
        stat,
        rounds: [bv.length, hv.length] as [number, number],
        base: Math.exp(mean(bv)),
        head: Math.exp(mean(hv)),
        ratio: Math.exp(d),
        spread: bv.length + hv.length > 2 ? pooledSpread(bv, hv) : null,
      };
      candidates.push(reason === undefined ? row : { ...row, reason });
    }
  }
  const comparisons = candidates.filter((r) => r.reason === undefined).length;
  const alpha = options.falseAlarmRate / Math.max(1, comparisons);
  const rows = candidates.map((row): ComparisonRow => {
    if (row.reason !== undefined || row.spread === null) return { ...row, bounds: null, verdict: 'not gated' };
    const [m, n] = row.rounds;
    const half = quantileT(1 - alpha, m + n - 2) * row.spread * Math.sqrt(1 / m + 1 / n);
    const d = Math.log(row.ratio);
    const bounds: [number, number] = [Math.exp(d - half), Math.exp(d + half)];
    const threshold = row.stat === 'p50' ? options.thresholdP50 : options.thresholdP99;
    const verdict: Verdict =
      bounds[0] > 1 && row.ratio > 1 + threshold
        ? 'regression'
        : bounds[1] < 1 && row.ratio < 1 / (1 + threshold)
          ? 'improvement'
          : 'no change';
    return { ...row, bounds, verdict };
  });
  return { rows, comparisons, alpha, needed };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** √ of the pooled variance of two samples (each about its own mean). */
function pooledSpread(a: number[], b: number[]): number {
  const ss = (xs: number[]): number => {
    const mu = mean(xs);
    return xs.reduce((sum, x) => sum + (x - mu) ** 2, 0);
  };
  return Math.sqrt((ss(a) + ss(b)) / (a.length + b.length - 2));
}
