/** The media type a scrape endpoint serving `formatPrometheusText` output answers with. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type PrometheusType = 'counter' | 'gauge' | 'summary';

export interface PrometheusSample {
  /** Appended to the family name: '_sum' and '_count' for a summary's totals; '' otherwise. */
  suffix?: '' | '_sum' | '_count';
  labels?: Readonly<Record<string, string>>;
  value: number;
}

/** One metric family: a name, its help text and type, and its samples (none is valid: the family is declared). */
export interface PrometheusFamily {
  name: string;
  help: string;
  type: PrometheusType;
  samples: readonly PrometheusSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Renders metric families in the Prometheus text exposition format, version 0.0.4. Throws a TypeError naming the
 * metric for an invalid metric or label name, a counter not named `*_total`, or a family declared twice.
 */
export function formatPrometheusText(families: readonly PrometheusFamily[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const family of families) {
    checkFamily(family, seen);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      lines.push(
        `${family.name}${sample.suffix ?? ''}${formatLabels(family.name, sample.labels)} ${formatValue(sample.value)}`,
      );
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function checkFamily(family: PrometheusFamily, seen: Set<string>): void {
  if (!METRIC_NAME.test(family.name))
    throw new TypeError(`metric name ${JSON.stringify(family.name)} must match ${METRIC_NAME.source}`);
  if (family.type === 'counter' && !family.name.endsWith('_total'))
    throw new TypeError(`counter ${family.name} must be named *_total`);
  if (seen.has(family.name)) throw new TypeError(`metric ${family.name} is declared twice`);
  seen.add(family.name);
}

function formatLabels(metric: string, labels: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  for (const [name] of entries) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      throw new TypeError(
        `label name ${JSON.stringify(name)} of ${metric} must match ${LABEL_NAME.source} and not start with "__"`,
      );
    }
  }
  return `{${entries.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

/** Backslash and line feed are escaped in help text (the format's rule). */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Backslash, double quote and line feed are escaped in label values. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Go's ParseFloat spellings for the special values; JavaScript's shortest round-trip form otherwise. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
