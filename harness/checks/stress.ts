import { matchesWhere, type History } from '../history.js';
import type { CheckSpec } from '../schema.js';
import { nearestRank } from '../../src/percentile.js';
import type { Check } from './check.js';

type Spec<K extends CheckSpec['check']> = Extract<CheckSpec, { check: K }>;

interface CommitStats {
  commits: number;
  writers: number;
  windowMs: number;
  perSec: number;
  latencies: number[];
}

/** Commits acknowledged, distinct writers, and throughput over [first commit start, last commit acknowledgement]. */
export function commitStats(history: History, worker?: string): CommitStats {
  const commits = history.select('checkpoint.committed', { worker });
  const latencies = commits.map((c) => c.latencyMs).sort((a, b) => a - b);
  if (commits.length === 0) return { commits: 0, writers: 0, windowMs: 0, perSec: 0, latencies };
  const start = Math.min(...commits.map((c) => c.t - c.latencyMs));
  const end = Math.max(...commits.map((c) => c.t));
  const windowMs = Math.max(end - start, 1e-3);
  return {
    commits: commits.length,
    writers: new Set(commits.map((c) => c.worker)).size,
    windowMs,
    perSec: (commits.length * 1000) / windowMs,
    latencies,
  };
}

export const commitThroughput: Check<Spec<'commit-throughput'>> = (spec, { history }) => {
  const s = commitStats(history, spec.worker);
  return {
    valid: s.commits > 0 && (spec.minPerSec === undefined || s.perSec >= spec.minPerSec),
    data: { perSec: s.perSec, commits: s.commits, writers: s.writers },
    measured: `${s.perSec.toFixed(0)} commits/s (${s.commits} commits by ${s.writers} processes in ${(s.windowMs / 1000).toFixed(2)} s)`,
  };
};

export const commitLatency: Check<Spec<'commit-latency'>> = (spec, { history }) => {
  const s = commitStats(history, spec.worker);
  const p = nearestRank(s.latencies, spec.percentile / 100);
  if (p === null) return { valid: 'unknown', measured: 'no commits' };
  const at = (x: number): number => nearestRank(s.latencies, x) ?? 0;
  const q = (x: number): string => at(x).toFixed(1);
  return {
    valid: p <= spec.maxMs,
    measured: `P${spec.percentile} ${p.toFixed(1)} ms (P50 ${q(0.5)} / P95 ${q(0.95)} / P99 ${q(0.99)} / max ${q(1)} ms)`,
    data: { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) },
  };
};

/**
 * P99 commit latency ÷ (N ÷ throughput): how far the tail is from a perfectly fair queue of N writers at the
 * throughput measured in the same run (where every commit would wait for the N−1 others once).
 */
export const tailRatio: Check<Spec<'tail-ratio'>> = (spec, { history }) => {
  const s = commitStats(history, spec.worker);
  const p99 = nearestRank(s.latencies, 0.99);
  if (p99 === null || s.perSec === 0) return { valid: 'unknown', measured: 'no commits' };
  const fair = (s.writers / s.perSec) * 1000;
  const ratio = p99 / fair;
  return {
    valid: ratio <= spec.max,
    data: { ratio, p99, fairMs: fair, perSec: s.perSec },
    measured: `${ratio.toFixed(2)} (P99 ${p99.toFixed(1)} ms ÷ fair ${fair.toFixed(1)} ms for ${s.writers} writers)`,
  };
};

/** Jain's fairness index of acquisitions per worker: 1 is perfectly even, 1/n is one worker taking everything. */
export const acquisitionFairness: Check<Spec<'acquisition-fairness'>> = (spec, { history }) => {
  const workers = history.select('worker.started', { worker: spec.worker }).map((e) => e.worker);
  const counts = workers.map(
    (w) => history.select('lease.acquired', { worker: w }).filter((e) => e.worker === w).length,
  );
  const sum = counts.reduce((a, b) => a + b, 0);
  const squares = counts.reduce((a, b) => a + b * b, 0);
  if (sum === 0) return { valid: false, measured: 'no acquisitions' };
  const jain = (sum * sum) / (counts.length * squares);
  return {
    valid: jain >= spec.minJain,
    measured: `Jain ${jain.toFixed(3)} over ${counts.length} workers (min ${Math.min(...counts)}, max ${Math.max(...counts)} acquisitions)`,
  };
};

/** Time from the first event of a kind (e.g. the 'go' command) to the last exit of the group's workers. */
export const wallTime: Check<Spec<'wall-time'>> = (spec, { history }) => {
  const from = history.entries.find((e) => e.kind === spec.from && matchesWhere(e, spec.where));
  const exits = history.select('worker.exited', { worker: spec.worker });
  if (!from || exits.length === 0) return { valid: 'unknown', measured: `no ${spec.from} event or no exits` };
  const ms = Math.max(...exits.map((e) => e.t)) - from.t;
  return { valid: ms <= spec.maxMs, measured: `${(ms / 1000).toFixed(2)} s` };
};

/** Highest peak RSS (VmHWM) any worker reached. */
export const peakWorkerRss: Check<Spec<'peak-worker-rss'>> = (spec, { history }) => {
  const peaks = history.select('worker.exited').map((e) => e.peakRssKb ?? 0);
  if (peaks.length === 0) return { valid: 'unknown', measured: 'no worker exited' };
  const mb = Math.max(...peaks) / 1024;
  return { valid: mb <= spec.maxMb, measured: `${mb.toFixed(1)} MB` };
};
