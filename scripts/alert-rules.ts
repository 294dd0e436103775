import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { prometheusAlertRules } from '../src/prometheus-alerts.js';

/** Where the generated rules file is committed, for operators to load into Prometheus (`rule_files`). */
export const ALERT_RULES_FILE = fileURLToPath(new URL('../deploy/prometheus/agentos-alerts.yml', import.meta.url));

const HEADER = [
  '# Prometheus alerting rules for the AgentOS recovery layer: the seed’s alert thresholds over the metrics',
  '# Metrics.toPrometheus() exposes. Generated from src/alerts.ts by `pnpm alerts`; edit the table there, not this file.',
].join('\n');

/** The text of the rules file, as `pnpm alerts` writes it. */
export function renderAlertRulesFile(): string {
  return `${HEADER}\n${stringify(prometheusAlertRules(), { lineWidth: 0 })}`;
}
