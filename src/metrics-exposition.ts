import type { CounterName, LatencyWindow } from './metrics.js';
import type { PrometheusFamily } from './prometheus-text.js';

/** The Prometheus name and help of each counter; a counter without one does not compile. */
const COUNTER_METRICS: Readonly<Record<CounterName, { readonly name: string; readonly help: string }>> = {
  checkpointsCommitted: { name: 'agentos_checkpoints_committed_total', help: 'Checkpoints committed.' },
  verifications: { name: 'agentos_checkpoint_verifications_total', help: 'Checkpoint evidence verifications run.' },
  verificationFailures: {
    name: 'agentos_checkpoint_verification_failures_total',
    help: 'Checkpoint evidence verifications that failed.',
  },
  leaseAcquisitions: { name: 'agentos_lease_acquisitions_total', help: 'Leases acquired.' },
  leaseRenewals: { name: 'agentos_lease_renewals_total', help: 'Leases renewed.' },
  leaseCompletions: { name: 'agentos_lease_completions_total', help: 'Leased work items completed.' },
  leaseLost: {
    name: 'agentos_leases_lost_total',
    help: 'Operations refused because the lease was no longer held (fenced).',
  },
  leaseExpirations: {
    name: 'agentos_lease_expirations_total',
    help: 'Expired leases recovered by the recovery sweep.',
  },
  sweeps: { name: 'agentos_recovery_sweeps_total', help: 'Recovery sweeps run.' },
  sweepErrors: { name: 'agentos_recovery_sweep_errors_total', help: 'Errors during recovery sweeps.' },
  cacheHits: { name: 'agentos_llm_cache_hits_total', help: 'LLM output cache hits.' },
  cacheMisses: { name: 'agentos_llm_cache_misses_total', help: 'LLM output cache misses.' },
  toolCallsExecuted: { name: 'agentos_tool_calls_executed_total', help: 'Tool calls executed.' },
  toolCallsReplayed: {
    name: 'agentos_tool_calls_replayed_total',
    help: 'Tool calls replayed from the ledger instead of executed.',
  },
  toolCallsInDoubt: {
    name: 'agentos_tool_calls_in_doubt_total',
    help: 'Tool calls reported in doubt (cut off by a crash).',
  },
  databaseLockTimeouts: {
    name: 'agentos_database_lock_timeouts_total',
    help: 'Writes that gave up waiting for the database write lock (SQLITE_BUSY).',
  },
};

/** The name of every metric `Metrics.toPrometheus()` writes, for alerting rules and dashboards. */
export const METRIC_NAMES = {
  ...(Object.fromEntries(Object.entries(COUNTER_METRICS).map(([key, m]) => [key, m.name])) as Readonly<
    Record<CounterName, string>
  >),
  checkpointCommitDuration: 'agentos_checkpoint_commit_duration_seconds',
  recoverySweepDuration: 'agentos_recovery_sweep_duration_seconds',
  recoverySweepLastDuration: 'agentos_recovery_sweep_last_duration_seconds',
} as const;

const QUANTILES = [
  ['0.5', 'p50'],
  ['0.95', 'p95'],
  ['0.99', 'p99'],
] as const;

/** A latency window as a summary in seconds: nearest-rank quantiles over the samples it holds; sum and count since start. */
function summaryFamily(name: string, what: string, window: LatencyWindow): PrometheusFamily {
  const s = window.summary();
  return {
    name,
    help: `${what} in seconds; quantiles (nearest rank) over the last ${window.capacity} samples, sum and count since start.`,
    type: 'summary',
    samples: [
      ...QUANTILES.map(([quantile, p]) => ({ labels: { quantile }, value: s[p] === null ? Number.NaN : s[p] / 1000 })),
      { suffix: '_sum' as const, value: window.sum / 1000 },
      { suffix: '_count' as const, value: window.count },
    ],
  };
}

/** Every counter and latency window of one Metrics as Prometheus metric families. */
export function metricFamilies(
  counters: Readonly<Record<CounterName, number>>,
  windows: { checkpointCommit: LatencyWindow; sweep: LatencyWindow },
): PrometheusFamily[] {
  const lastSweep = windows.sweep.latest;
  return [
    ...(Object.keys(COUNTER_METRICS) as CounterName[]).map(
      (key): PrometheusFamily => ({ ...COUNTER_METRICS[key], type: 'counter', samples: [{ value: counters[key] }] }),
    ),
    summaryFamily(METRIC_NAMES.checkpointCommitDuration, 'Checkpoint commit latency', windows.checkpointCommit),
    summaryFamily(METRIC_NAMES.recoverySweepDuration, 'Recovery sweep duration', windows.sweep),
    {
      name: METRIC_NAMES.recoverySweepLastDuration,
      help: 'Duration of the most recent recovery sweep in seconds (absent before the first).',
      type: 'gauge',
      samples: lastSweep === null ? [] : [{ value: lastSweep / 1000 }],
    },
  ];
}
