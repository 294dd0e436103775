import { summarizeLatencies, type LatencySummary } from '../src/percentile.js';

// The summary and the method live with the percentile in src/percentile.ts; re-exported for the harness's readers.
export { PERCENTILE_METHOD, type LatencySummary } from '../src/percentile.js';

/**
 * Records every latency sample (ms) of a run into a growable Float64Array and summarises them by nearest rank.
 * Recording is one typed-array store, well under a microsecond.
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
    return summarizeLatencies(this.#samples.subarray(0, this.#n));
  }
}
