import { performance } from 'node:perf_hooks';

/** Percentile summary of recent latency samples (nearest-rank: the sample at index ⌈q·n⌉−1 of the sorted window). */
export interface LatencySummary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Keeps the most recent `capacity` samples in a ring; recording is one array store. */
export class LatencyWindow {
  readonly #samples: Float64Array;
  #count = 0;

  constructor(capacity = 4096) {
    this.#samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.#samples[this.#count % this.#samples.length] = ms;
    this.#count++;
  }

  summary(): LatencySummary {
    const n = Math.min(this.#count, this.#samples.length);
    if (n === 0) return { count: this.#count, p50: null, p95: null, p99: null, max: null };
    const sorted = this.#samples.slice(0, n).sort();
    const at = (q: number): number => sorted[Math.max(0, Math.ceil(q * n) - 1)] ?? Number.NaN;
    return { count: this.#count, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[n - 1] ?? null };
  }
}

const COUNTERS = [
  'checkpointsCommitted',
  'verifications',
  'verificationFailures',
  'leaseAcquisitions',
  'leaseRenewals',
  'leaseCompletions',
  'leaseLost',
  'leaseExpirations',
  'sweeps',
  'sweepErrors',
  'cacheHits',
  'cacheMisses',
  'toolCallsExecuted',
  'toolCallsReplayed',
  'toolCallsInDoubt',
] as const;

export type CounterName = (typeof COUNTERS)[number];

export interface MetricsSnapshot {
  uptimeMs: number;
  counters: Record<CounterName, number>;
  checkpointRatePerSec: number;
  checkpointCommitLatencyMs: LatencySummary;
  verificationFailureRate: number | null;
  leaseExpirationRate: number | null;
  sweepDurationMs: LatencySummary;
  cacheHitRate: number | null;
  toolReplayRate: number | null;
}

/** The seed's monitoring list as counters and latency windows, readable as one snapshot. */
export class Metrics {
  readonly #startedAt = performance.now();
  readonly #counters = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<CounterName, number>;
  readonly checkpointCommitLatency = new LatencyWindow();
  readonly sweepDuration = new LatencyWindow(256);

  increment(name: CounterName, by = 1): void {
    this.#counters[name] += by;
  }

  count(name: CounterName): number {
    return this.#counters[name];
  }

  snapshot(): MetricsSnapshot {
    const c = { ...this.#counters };
    const uptimeMs = performance.now() - this.#startedAt;
    const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);
    return {
      uptimeMs,
      counters: c,
      checkpointRatePerSec: uptimeMs > 0 ? (c.checkpointsCommitted * 1000) / uptimeMs : 0,
      checkpointCommitLatencyMs: this.checkpointCommitLatency.summary(),
      verificationFailureRate: ratio(c.verificationFailures, c.verifications),
      leaseExpirationRate: ratio(c.leaseExpirations, c.leaseAcquisitions),
      sweepDurationMs: this.sweepDuration.summary(),
      cacheHitRate: ratio(c.cacheHits, c.cacheHits + c.cacheMisses),
      toolReplayRate: ratio(c.toolCallsReplayed, c.toolCallsExecuted + c.toolCallsReplayed),
    };
  }
}
