/** The one percentile method used everywhere in the harness and its reports. */
export const PERCENTILE_METHOD = 'nearest-rank (sample at index ⌈q·n⌉−1 of the sorted samples)';

export interface LatencySummary {
  n: number;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  /** Percentiles computed from too few samples to mean much (fewer than 1/(1−q) × 10 samples). */
  insufficient: ('p50' | 'p95' | 'p99')[];
}

const MIN_SAMPLES = { p50: 20, p95: 200, p99: 1000 } as const;

/**
 * Records latency samples (ms) into a growable Float64Array and summarises them by nearest rank. Recording is one
 * typed-array store, well under a microsecond.
 */
export class LatencyRecorder {
  #samples = new Float64Array(1024);
  #n = 0;

  record(ms: number): void {
    if (this.#n === this.#samples.length) {
      const grown = new Float64Array(this.#samples.length * 2);
      grown.set(this.#samples);
      this.#samples = grown;
    }
    this.#samples[this.#n++] = ms;
  }

  get count(): number {
    return this.#n;
  }

  /** A copy of the samples in recording order. */
  samples(): Float64Array {
    return this.#samples.slice(0, this.#n);
  }

  summary(): LatencySummary {
    const n = this.#n;
    if (n === 0) return { n, mean: null, p50: null, p95: null, p99: null, max: null, insufficient: ['p50', 'p95', 'p99'] };
    const sorted = this.#samples.slice(0, n).sort();
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sorted[i]!;
    const at = (q: number): number => sorted[Math.max(0, Math.ceil(q * n) - 1)]!;
    return {
      n,
      mean: sum / n,
      p50: at(0.5),
      p95: at(0.95),
      p99: at(0.99),
      max: sorted[n - 1]!,
      insufficient: (['p50', 'p95', 'p99'] as const).filter((p) => n < MIN_SAMPLES[p]),
    };
  }
}
