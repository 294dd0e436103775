import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ALERT_THRESHOLDS } from '../src/alerts.js';
import { Metrics } from '../src/metrics.js';
import type { PrometheusRuleFile } from '../src/prometheus-alerts.js';
import { ALERT_RULES_FILE, renderAlertRulesFile } from './alert-rules.js';

const promtool = spawnSync('promtool', ['--version']).status === 0;
const scratch = mkdtempSync(join(tmpdir(), 'agentos-alert-rules-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runPromtool(args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('deploy/prometheus/agentos-alerts.yml', () => {
  const committed = readFileSync(ALERT_RULES_FILE, 'utf8');
  const rules = (parse(committed) as PrometheusRuleFile).groups.flatMap((g) => g.rules);

  it('is what `pnpm alerts` generates from the thresholds table (run `pnpm alerts` after changing src/alerts.ts)', () => {
    expect(committed).toBe(renderAlertRulesFile());
  });

  it('has one rule per threshold, with its severity and its threshold on the firing side, in the metric’s unit', () => {
    const toMetricUnit = { ms: 1 / 1000, s: 1, '%': 1 / 100, 'per hour': 1 } as const;
    expect(rules.map((r) => r.alert)).toEqual(ALERT_THRESHOLDS.map((a) => a.name));
    for (const a of ALERT_THRESHOLDS) {
      const rule = rules.find((r) => r.alert === a.name)!;
      expect(rule.labels.severity).toBe(a.severity);
      expect(rule.expr).toMatch(
        new RegExp(` ${a.direction === 'above' ? '>' : '<'} ${a.threshold * toMetricUnit[a.unit]}$`),
      );
      if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smh]$/);
      expect(rule.annotations.summary).toContain(`${a.direction} ${a.threshold} ${a.unit}`);
    }
  });

  it('reads only metrics that Metrics.toPrometheus() exposes', () => {
    const exposed = new Set([...new Metrics().toPrometheus().matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
    const read = rules.flatMap((r) => [...r.expr.matchAll(/agentos_[a-z0-9_]+/g)].map((m) => m[0]));
    expect(read.length).toBeGreaterThan(0);
    expect(read.filter((name) => !exposed.has(name))).toEqual([]);
  });

  it.skipIf(!promtool)('passes `promtool check rules`', () => {
    const { status, output } = runPromtool(['check', 'rules', ALERT_RULES_FILE]);
    expect(output).toContain(`SUCCESS: ${ALERT_THRESHOLDS.length} rules found`);
    expect(status).toBe(0);
  });

  it.skipIf(!promtool)(
    'fires each alert on the side its direction names and stays quiet on the other (promtool test rules)',
    () => {
      // Two instances: "firing" past every threshold, "quiet" on the other side; a gauge sits exactly on its threshold.
      const series: [string, string][] = [
        ['agentos_checkpoint_commit_duration_seconds{quantile="0.95",instance="firing"}', '0.06x120'],
        ['agentos_checkpoint_commit_duration_seconds{quantile="0.95",instance="quiet"}', '0.05x120'],
        ['agentos_checkpoint_commit_duration_seconds{quantile="0.99",instance="firing"}', '0.2x120'],
        ['agentos_checkpoint_commit_duration_seconds{quantile="0.99",instance="quiet"}', '0.1x120'],
        ['agentos_recovery_sweep_last_duration_seconds{instance="firing"}', '12x120'],
        ['agentos_recovery_sweep_last_duration_seconds{instance="quiet"}', '10x120'],
        ['agentos_lease_expirations_total{instance="firing"}', '0+2x120'],
        ['agentos_lease_acquisitions_total{instance="firing"}', '0+10x120'],
        ['agentos_lease_expirations_total{instance="quiet"}', '0+1x120'],
        ['agentos_lease_acquisitions_total{instance="quiet"}', '0+20x120'],
        ['agentos_llm_cache_hits_total{instance="firing"}', '0+2x120'],
        ['agentos_llm_cache_misses_total{instance="firing"}', '0+8x120'],
        ['agentos_llm_cache_hits_total{instance="quiet"}', '0+5x120'],
        ['agentos_llm_cache_misses_total{instance="quiet"}', '0+5x120'],
        ['agentos_database_lock_timeouts_total{instance="firing"}', '0+1x120'],
        ['agentos_database_lock_timeouts_total{instance="quiet"}', '0x120'],
      ];
      const unitTest = {
        rule_files: [ALERT_RULES_FILE],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: series.map(([s, values]) => ({ series: s, values })),
            promql_expr_test: [
              {
                expr: 'count by (alertname, instance) (ALERTS{alertstate="firing"})',
                eval_time: '100m',
                exp_samples: ALERT_THRESHOLDS.map((a) => ({
                  labels: `{alertname="${a.name}", instance="firing"}`,
                  value: 1,
                })),
              },
            ],
          },
        ],
      };
      const file = join(scratch, 'alerts.test.yml');
      writeFileSync(file, stringify(unitTest));
      const { status, output } = runPromtool(['test', 'rules', file]);
      expect(output).toContain('SUCCESS');
      expect(status).toBe(0);
    },
  );
});
