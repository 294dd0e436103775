import type { TestResult } from '../result.js';
import type { ResultsFile } from './results-file.js';

export interface ReadinessRow {
  alert: string;
  threshold: string;
  severity: string;
  where: string;
  measured: string;
  status: '✅ below threshold' | '🔔 would alert' | '· not measured in this run';
}

function measurement(results: TestResult[], id: string, variant: string) {
  const result = results.find((r) => r.id === id);
  return result?.category === 'bench' ? result.measurements.find((m) => m.variant === variant)?.summary : undefined;
}

function criterion(results: TestResult[], id: string, criterionId: string) {
  return results.find((r) => r.id === id)?.criteria.find((c) => c.id === criterionId);
}

/**
 * The seed's production alert thresholds (section 5) evaluated against what this run measured: whether a deployment
 * behaving like this run would page someone.
 */
export function readiness(file: ResultsFile): ReadinessRow[] {
  const r = file.results;
  const rows: ReadinessRow[] = [];
  const row = (alert: string, threshold: string, severity: string, where: string, value: number | null, limit: number, show: (v: number) => string, above = true): void => {
    if (value === null || Number.isNaN(value)) {
      rows.push({ alert, threshold, severity, where, measured: 'n/a', status: '· not measured in this run' });
      return;
    }
    const alerts = above ? value > limit : value < limit;
    rows.push({ alert, threshold, severity, where, measured: show(value), status: alerts ? '🔔 would alert' : '✅ below threshold' });
  };
  const ms = (v: number): string => `${v < 1 ? v.toFixed(3) : v.toFixed(1)} ms`;

  const single = measurement(r, 'checkpoint-creation', 'normal');
  row('checkpoint_creation_latency_p95', '50 ms', 'warning', 'benchmark, one writer', single?.p95 ?? null, 50, ms);
  row('checkpoint_creation_latency_p99', '100 ms', 'critical', 'benchmark, one writer', single?.p99 ?? null, 100, ms);
  const contended = criterion(r, 'concurrent-tasks-100', 'latency-busy')?.data;
  row('checkpoint_creation_latency_p95', '50 ms', 'warning', '100 processes writing at once', contended?.p95 ?? null, 50, ms);
  row('checkpoint_creation_latency_p99', '100 ms', 'critical', '100 processes writing at once', contended?.p99 ?? null, 100, ms);
  const sweep = criterion(r, 'recovery-sweep-scale', 'duration-100k')?.data?.value;
  row('recovery_sweep_duration', '10 s', 'warning', 'sweep of 100,000 expired leases', sweep ?? null, 10_000, ms);
  const leases = criterion(r, 'lease-contention', 'exclusive')?.data;
  const lostRate = leases && leases.acquisitions ? ((leases.lost ?? 0) / leases.acquisitions) * 100 : null;
  row('lease_expiration_rate', '10 %', 'warning', 'lease contention (20 workers, no faults)', lostRate, 10, (v) => `${v.toFixed(1)} % (${leases?.lost ?? 0} lost of ${leases?.acquisitions ?? 0})`);
  const hitRate = criterion(r, 'llm-cache-stress', 'hit-rate')?.data?.value;
  row('llm_cache_hit_rate', '30 % (alerts below)', 'info', 'LLM cache stress (2 passes)', hitRate ?? null, 30, (v) => `${v} %`, false);
  const lockCounts = r.flatMap((x) => x.criteria.map((c) => c.data?.locked).filter((v): v is number => v !== undefined));
  row('database_lock_timeout', '1 per hour', 'critical', 'every worker of every scenario', lockCounts.length > 0 ? lockCounts.reduce((a, b) => a + b, 0) : null, 0, (v) => `${v} in this run`);
  return rows;
}
