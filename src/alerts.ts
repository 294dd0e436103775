/** Which side of its threshold a value must be on for the alert to fire. */
export type AlertDirection = 'above' | 'below';
export type AlertSeverity = 'info' | 'warning' | 'critical';
export type AlertUnit = 'ms' | 's' | '%' | 'per hour';

export interface AlertThreshold {
  readonly name: string;
  readonly threshold: number;
  readonly unit: AlertUnit;
  /** 'above': fires when the value is greater than the threshold; 'below': when it is less. */
  readonly direction: AlertDirection;
  readonly severity: AlertSeverity;
  /** What is measured, as a noun phrase: it heads the alert's summary and the readiness table's row. */
  readonly description: string;
}

/**
 * The seed's production alert thresholds (its section 5), in its units. The acceptance report's production-readiness
 * table and the Prometheus alerting rules (`pnpm alerts`) are both generated from this table.
 */
export const ALERT_THRESHOLDS = [
  {
    name: 'checkpoint_creation_latency_p95',
    threshold: 50,
    unit: 'ms',
    direction: 'above',
    severity: 'warning',
    description: 'P95 checkpoint commit latency',
  },
  {
    name: 'checkpoint_creation_latency_p99',
    threshold: 100,
    unit: 'ms',
    direction: 'above',
    severity: 'critical',
    description: 'P99 checkpoint commit latency',
  },
  {
    name: 'recovery_sweep_duration',
    threshold: 10,
    unit: 's',
    direction: 'above',
    severity: 'warning',
    description: 'Recovery sweep duration',
  },
  {
    name: 'lease_expiration_rate',
    threshold: 10,
    unit: '%',
    direction: 'above',
    severity: 'warning',
    description: 'Lease expiration rate (leases expired ÷ leases acquired)',
  },
  {
    name: 'llm_cache_hit_rate',
    threshold: 30,
    unit: '%',
    direction: 'below',
    severity: 'info',
    description: 'LLM output cache hit rate',
  },
  {
    name: 'database_lock_timeout',
    threshold: 1,
    unit: 'per hour',
    direction: 'above',
    severity: 'critical',
    description: 'Rate of writes that gave up waiting for the write lock (SQLITE_BUSY)',
  },
] as const satisfies readonly AlertThreshold[];

export type AlertName = (typeof ALERT_THRESHOLDS)[number]['name'];

export const ALERT_NAMES = ALERT_THRESHOLDS.map((a) => a.name) as [AlertName, ...AlertName[]];

export function alertThreshold(name: AlertName): AlertThreshold {
  return ALERT_THRESHOLDS.find((a) => a.name === name)!;
}

/** Whether a value, in the alert's unit, is on the firing side of its threshold (the threshold itself does not fire). */
export function alertFires(alert: AlertThreshold, value: number): boolean {
  return alert.direction === 'above' ? value > alert.threshold : value < alert.threshold;
}

/** "50 ms", "30 %", "1 per hour". */
export function formatThreshold(alert: Pick<AlertThreshold, 'threshold' | 'unit'>): string {
  return `${alert.threshold} ${alert.unit}`;
}
