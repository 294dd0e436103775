import { ALERT_THRESHOLDS, formatThreshold, type AlertName, type AlertThreshold, type AlertUnit } from './alerts.js';
import { METRIC_NAMES as M } from './metrics-exposition.js';

/** One Prometheus alerting rule, as the rules file spells it. */
export interface PrometheusAlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}

export interface PrometheusRuleFile {
  groups: { name: string; rules: PrometheusAlertRule[] }[];
}

/** Converts a threshold from the table's unit to the unit of the metric it is compared with (seconds, ratio, count). */
const TO_METRIC_UNIT: Readonly<Record<AlertUnit, (x: number) => number>> = {
  ms: (x) => x / 1000,
  s: (x) => x,
  '%': (x) => x / 100,
  'per hour': (x) => x,
};

/** How an annotation shows the measured value of a metric in that unit (Prometheus template functions). */
const SHOW_VALUE: Readonly<Record<AlertUnit, string>> = {
  ms: '{{ $value | humanizeDuration }}',
  s: '{{ $value | humanizeDuration }}',
  '%': '{{ $value | humanizePercentage }}',
  'per hour': '{{ $value | humanize }} in the last hour',
};

/** The PromQL value each alert compares with its threshold; an alert without one does not compile. */
const MEASURED: Readonly<Record<AlertName, { expr: string; for?: string }>> = {
  checkpoint_creation_latency_p95: { expr: `${M.checkpointCommitDuration}{quantile="0.95"}`, for: '5m' },
  checkpoint_creation_latency_p99: { expr: `${M.checkpointCommitDuration}{quantile="0.99"}`, for: '5m' },
  recovery_sweep_duration: { expr: M.recoverySweepLastDuration },
  lease_expiration_rate: { expr: `rate(${M.leaseExpirations}[15m]) / rate(${M.leaseAcquisitions}[15m])`, for: '15m' },
  // No traffic makes 0/0 = NaN, which never fires: an idle cache is not an ineffective one.
  llm_cache_hit_rate: {
    expr: `rate(${M.cacheHits}[1h]) / (rate(${M.cacheHits}[1h]) + rate(${M.cacheMisses}[1h]))`,
    for: '15m',
  },
  database_lock_timeout: { expr: `increase(${M.databaseLockTimeouts}[1h])` },
};

function rule(alert: AlertThreshold & { name: AlertName }): PrometheusAlertRule {
  const measured = MEASURED[alert.name];
  const comparator = alert.direction === 'above' ? '>' : '<';
  return {
    alert: alert.name,
    expr: `${measured.expr} ${comparator} ${TO_METRIC_UNIT[alert.unit](alert.threshold)}`,
    ...(measured.for ? { for: measured.for } : {}),
    labels: { severity: alert.severity },
    annotations: {
      summary: `${alert.description} is ${alert.direction} ${formatThreshold(alert)}`,
      description: `${alert.description}: ${SHOW_VALUE[alert.unit]} (alerts ${alert.direction} ${formatThreshold(alert)}).`,
    },
  };
}

/** The seed's alert thresholds as one Prometheus rule group over the metrics `Metrics.toPrometheus()` writes. */
export function prometheusAlertRules(): PrometheusRuleFile {
  return { groups: [{ name: 'agentos', rules: ALERT_THRESHOLDS.map(rule) }] };
}
