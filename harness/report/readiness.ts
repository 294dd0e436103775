import {
  ALERT_THRESHOLDS,
  alertFires,
  formatThreshold,
  type AlertName,
  type AlertThreshold,
} from '../../src/alerts.js';
import type { LatencySummary } from '../../src/percentile.js';
import type { LoadedScenario } from '../load.js';
import type { TestResult } from '../result.js';
import type { ResultsFile } from './results-file.js';

export interface ReadinessRow {
  alert: AlertName;
  /** "alerts above 50 ms" */
  threshold: string;
  severity: string;
  where: string;
  measured: string;
  verdict: 'no alert' | 'would alert' | 'not measured';
  /** The verdict in words that fit the alert's direction: "✅ no alert (≥ 30 %)", "🔔 would alert (> 50 ms)". */
  status: string;
}

/** What an alert reads: a criterion's measured data, or for a benchmark criterion the summary of the variant it judges. */
type Measured = { data: Readonly<Record<string, number>> | undefined } | { summary: LatencySummary };

/** A value in the alert's unit, and how the report shows it. */
interface Reading {
  value: number;
  shown: string;
}

type Reader = (measured: Measured, durationMs: number) => Reading | null;

function ms(value: number): string {
  return `${value < 1 ? value.toFixed(3) : value.toFixed(1)} ms`;
}

function latency(stat: 'p95' | 'p99'): Reader {
  return (m) => {
    const value = 'summary' in m ? m.summary[stat] : m.data?.[stat];
    return value === null || value === undefined ? null : { value, shown: ms(value) };
  };
}

/** How each alert reads its value from what a criterion measured; an alert without a reader does not compile. */
const READERS: Readonly<Record<AlertName, Reader>> = {
  checkpoint_creation_latency_p95: latency('p95'),
  checkpoint_creation_latency_p99: latency('p99'),
  recovery_sweep_duration: (m) => {
    const durationMs = 'data' in m ? m.data?.value : m.summary.max;
    return durationMs === undefined || durationMs === null ? null : { value: durationMs / 1000, shown: ms(durationMs) };
  },
  lease_expiration_rate: (m) => {
    const lost = 'data' in m ? m.data?.lost : undefined;
    const acquisitions = 'data' in m ? m.data?.acquisitions : undefined;
    if (lost === undefined || !acquisitions) return null;
    const percent = (lost / acquisitions) * 100;
    return { value: percent, shown: `${percent.toFixed(1)} % (${lost} lost of ${acquisitions})` };
  },
  llm_cache_hit_rate: (m) => {
    const percent = 'data' in m ? m.data?.value : undefined;
    return percent === undefined ? null : { value: percent, shown: `${percent} %` };
  },
  database_lock_timeout: (m, durationMs) => {
    const locked = 'data' in m ? m.data?.locked : undefined;
    if (locked === undefined || durationMs <= 0) return null;
    const perHour = locked / (durationMs / 3_600_000);
    return {
      value: perHour,
      shown: `${locked} in ${(durationMs / 1000).toFixed(0)} s (${perHour.toFixed(1)} per hour)`,
    };
  },
};

/** One alert fed by one declared criterion, and where the run's result keeps what it measured. */
interface Feed {
  alert: AlertName;
  testId: string;
  criterionId: string;
  where: string;
  /** The benchmark variant the criterion judges; undefined for a scenario's or stress test's criterion. */
  variant: string | undefined;
}

/** Every (alert, criterion) pair the declarations name with a criterion's `alert` field, in declaration order. */
function feedsOf(declared: readonly LoadedScenario[]): Feed[] {
  return declared.flatMap((d) => {
    const title = d.category === 'bench' ? d.benchmark.title : d.scenario.title;
    const criteria =
      d.category === 'bench'
        ? d.benchmark.criteria.map((c) => ({ ...c, variant: c.metric.variant }))
        : d.scenario.criteria.map((c) => ({ ...c, variant: undefined }));
    return criteria.flatMap((c) => {
      const where = c.variant === undefined ? `${title}: ${c.description}` : `${title}, variant ${c.variant}`;
      return (c.alert ?? []).map((alert) => ({ alert, testId: d.id, criterionId: c.id, variant: c.variant, where }));
    });
  });
}

function measuredBy(result: TestResult | undefined, feed: Feed): Measured | null {
  if (!result) return null;
  if (result.category === 'bench') {
    const summary = result.measurements.find((m) => m.variant === feed.variant)?.summary;
    return summary ? { summary } : null;
  }
  return { data: result.criteria.find((c) => c.id === feed.criterionId)?.data };
}

/** The alert's verdict on a reading, worded for its direction: the threshold itself does not fire. */
export function alertStatus(alert: AlertThreshold, reading: Reading | null): Pick<ReadinessRow, 'verdict' | 'status'> {
  if (reading === null || Number.isNaN(reading.value))
    return { verdict: 'not measured', status: '· not measured in this run' };
  const limit = formatThreshold(alert);
  if (alertFires(alert, reading.value))
    return { verdict: 'would alert', status: `🔔 would alert (${alert.direction === 'above' ? '>' : '<'} ${limit})` };
  return { verdict: 'no alert', status: `✅ no alert (${alert.direction === 'above' ? '≤' : '≥'} ${limit})` };
}

function row(alert: AlertThreshold & { name: AlertName }, where: string, reading: Reading | null): ReadinessRow {
  return {
    alert: alert.name,
    threshold: `alerts ${alert.direction} ${formatThreshold(alert)}`,
    severity: alert.severity,
    where,
    measured: reading?.shown ?? 'n/a',
    ...alertStatus(alert, reading),
  };
}

/**
 * The seed's production alert thresholds (src/alerts.ts) evaluated against what this run measured: whether a deployment
 * behaving like this run would page someone. A row per criterion whose declaration names the alert it feeds (its
 * `alert` field), and for database_lock_timeout one more over the whole run (every criterion that counted "database is
 * locked"). An alert no declaration feeds still gets a row, saying so.
 */
export function readiness(file: ResultsFile, declared: readonly LoadedScenario[]): ReadinessRow[] {
  const feeds = feedsOf(declared);
  return ALERT_THRESHOLDS.flatMap((alert) => {
    const read = READERS[alert.name];
    const rows = feeds
      .filter((f) => f.alert === alert.name)
      .map((feed) => {
        const result = file.results.find((r) => r.id === feed.testId);
        const measured = measuredBy(result, feed);
        return row(alert, feed.where, measured && result ? read(measured, result.durationMs) : null);
      });
    if (alert.name === 'database_lock_timeout')
      rows.push(row(alert, 'every worker of every test in this run', runWideLocks(file)));
    return rows.length > 0 ? rows : [row(alert, 'no declared test feeds this alert', null)];
  });
}

/** "database is locked" counted by every criterion of every test, as a rate over the run's duration. */
function runWideLocks(file: ResultsFile): Reading | null {
  const counts = file.results.flatMap((r) =>
    r.criteria.map((c) => c.data?.locked).filter((v): v is number => v !== undefined),
  );
  if (counts.length === 0) return null;
  return READERS.database_lock_timeout({ data: { locked: counts.reduce((a, b) => a + b, 0) } }, file.durationMs);
}
