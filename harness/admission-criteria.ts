import type { z } from 'zod';
import type { criterionSchema } from './schema.js';

type CriterionInput = z.input<typeof criterionSchema>;

/**
 * The criteria that compare the two write-admission strategies in a stress test whose worker groups are named
 * 'busy' (SQLite's busy handler) and 'fair' (the write queue): throughput, commit latency and tail ratio of each,
 * and the fair queue's throughput relative to the busy handler's. All are targets: timing on a shared machine.
 */
export function writeAdmissionCriteria(options: { latencyP99Ms: number; throughputSeed?: string }): CriterionInput[] {
  const latency = options.latencyP99Ms >= 1000 ? `${options.latencyP99Ms / 1000} s` : `${options.latencyP99Ms} ms`;
  const strategies = [
    { worker: 'busy', label: 'busy handler', suffix: '-busy', seed: options.throughputSeed ?? '—' },
    { worker: 'fair', label: 'fair admission', suffix: '', seed: '—' },
  ] as const;
  return [
    ...strategies.map((s): CriterionInput => ({
      id: `throughput-${s.worker}`, description: `Commit throughput, ${s.label}`, seed: s.seed, ours: 'reported', check: { check: 'commit-throughput', worker: s.worker }, kind: 'target',
    })),
    ...strategies.map((s): CriterionInput => ({
      id: `latency${s.suffix}`, description: `Commit latency, ${s.label}`, seed: '—', ours: `P99 ≤ ${latency}`, check: { check: 'commit-latency', worker: s.worker, percentile: 99, maxMs: options.latencyP99Ms }, kind: 'target',
    })),
    ...strategies.map((s): CriterionInput => ({
      id: `tail-ratio${s.suffix}`, description: `Tail ratio P99 ÷ (N ÷ throughput), ${s.label}`, seed: '—', ours: '≤ 2', check: { check: 'tail-ratio', worker: s.worker, max: 2 }, kind: 'target',
    })),
    { id: 'throughput-ratio', description: 'Fair admission throughput ÷ busy handler throughput', seed: '—', ours: '≥ 0.8', check: { check: 'throughput-ratio', worker: 'fair', relativeTo: 'busy', min: 0.8 }, kind: 'target' },
  ];
}
