import { performance } from 'node:perf_hooks';
import { metricFamilies } from './metrics-exposition.js';
import { summarizeLatencies, type LatencySummary } from './percentile.js';
import { formatPrometheusText } from './prometheus-text.js';

/** A window's summary: percentiles of the samples it holds, and `count`, every sample ever recorded. */
export interface WindowSummary extends LatencySummary {
  count: number;
}

/** Keeps the most recent `capacity` samples (ms) in a ring, plus running totals; recording is one array store. */
export class LatencyWindow {
  readonly #samples: Float64Array;
  #count = 0;
  #sum = 0;
  #latest: number | null = null;

  constructor(capacity = 4096) {
    this.#samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.#samples[this.#count % this.#samples.length] = ms;
    this.#count++;
    this.#sum += ms;
    this.#latest = ms;
  }

  get capacity(): number {
    return this.#samples.length;
  }

  /** Samples ever recorded. */
  get count(): number {
    return this.#count;
  }

  /** Milliseconds ever recorded, summed. */
  get sum(): number {
    return this.#sum;
  }

  /** The last sample recorded, or null before the first. */
  get latest(): number | null {
    return this.#latest;
  }

  summary(): WindowSummary {
    const held = this.#samples.subarray(0, Math.min(this.#count, this.#samples.length));
    return { count: this.#count, ...summarizeLatencies(held) };
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
  'databaseLockTimeouts',
] as const;

export type CounterName = (typeof COUNTERS)[number];

export interface MetricsSnapshot {
  uptimeMs: number;
  counters: Record<CounterName, number>;
  checkpointRatePerSec: number;
  checkpointCommitLatencyMs: WindowSummary;
  verificationFailureRate: number | null;
  leaseExpirationRate: number | null;
  sweepDurationMs: WindowSummary;
  cacheHitRate: number | null;
  toolReplayRate: number | null;
}

/** The seed's monitoring list as counters and latency windows, readable as one snapshot or as Prometheus text. */
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

  /**
   * Every counter and latency window in the Prometheus text format (0.0.4; serve it with PROMETHEUS_CONTENT_TYPE),
   * metric names prefixed `agentos_`, times in seconds. See METRIC_NAMES for the names.
   */
  toPrometheus(): string {
    return formatPrometheusText(
      metricFamilies(
        { ...this.#counters },
        { checkpointCommit: this.checkpointCommitLatency, sweep: this.sweepDuration },
      ),
    );
  }
}
