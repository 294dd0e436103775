import { describe, expect, it } from 'vitest';
import { ALERT_NAMES, alertThreshold } from '../../src/alerts.js';
import { summarizeLatencies } from '../../src/percentile.js';
import { formatPath, loadScenarios, type LoadedScenario } from '../load.js';
import type { BenchResult, CriterionResult, ScenarioResult } from '../result.js';
import { benchmarkSchema, scenarioSchema } from '../schema.js';
import { criterionMark } from './criterion-mark.js';
import { alertStatus, readiness } from './readiness.js';
import type { ResultsFile } from './results-file.js';

const header = { title: 'My cache test', purpose: 'p', seedTest: 'T::t', procedure: ['do it'] };

/** A declared scenario whose one criterion feeds the given alert(s). */
function scenario(id: string, alert: unknown, criterionId = 'measured'): LoadedScenario {
  return {
    category: 'chaos',
    file: `scenarios/chaos/${id}.ts`,
    id,
    scenario: scenarioSchema.parse(declaration(id, alert, criterionId)),
  };
}

function declaration(id: string, alert: unknown, criterionId = 'measured') {
  return {
    ...header,
    id,
    workers: [{ name: 'w', workload: 'checkpoint-writer', params: { count: 1 } }],
    criteria: [
      { id: criterionId, description: 'Hit rate', seed: '—', ours: 'ok', check: { check: 'integrity-ok' }, alert },
      { id: 'untagged', description: 'Not an alert', seed: '—', ours: 'ok', check: { check: 'integrity-ok' } },
    ],
  };
}

function scenarioResult(id: string, criteria: Partial<CriterionResult>[], durationMs = 60_000): ScenarioResult {
  return {
    ...header,
    id,
    category: 'chaos',
    seed: 1,
    durationMs,
    criteria: criteria.map((c) => ({
      id: 'measured',
      kind: 'gate',
      description: 'd',
      seed: '—',
      ours: 'ok',
      valid: true,
      measured: 'm',
      ...c,
    })),
    faults: [],
    vacuity: [],
    workers: [],
    survivors: [],
    historyFile: '',
    runDir: '',
    state: 'passed',
  };
}

function file(results: (ScenarioResult | BenchResult)[], durationMs = 60_000): ResultsFile {
  return {
    schema: 'agentos-chaos/results@1',
    generatedAt: '2026-01-01T00:00:00.000Z',
    seed: 1,
    selection: { only: null, category: null },
    declared: {},
    environment: {
      commit: 'c',
      dirty: false,
      node: 'v20',
      v8: '11',
      sqlite: '3',
      cpu: 'cpu',
      cores: 2,
      memoryGiB: 1,
      os: 'linux',
    },
    durationMs,
    harnessPeakRssKb: null,
    results,
    missing: [],
  };
}

describe('readiness', () => {
  it('words each verdict for the alert’s direction: a 50 % hit rate against an alert below 30 % raises none', () => {
    // Before: '✅ below threshold' for 50 % against "alerts below 30 %".
    const hitRate = alertThreshold('llm_cache_hit_rate');
    expect(alertStatus(hitRate, { value: 50, shown: '50 %' })).toEqual({
      verdict: 'no alert',
      status: '✅ no alert (≥ 30 %)',
    });
    expect(alertStatus(hitRate, { value: 30, shown: '30 %' })).toEqual({
      verdict: 'no alert',
      status: '✅ no alert (≥ 30 %)',
    });
    expect(alertStatus(hitRate, { value: 20, shown: '20 %' })).toEqual({
      verdict: 'would alert',
      status: '🔔 would alert (< 30 %)',
    });
    const p95 = alertThreshold('checkpoint_creation_latency_p95');
    expect(alertStatus(p95, { value: 50, shown: '50 ms' })).toEqual({
      verdict: 'no alert',
      status: '✅ no alert (≤ 50 ms)',
    });
    expect(alertStatus(p95, { value: 60, shown: '60 ms' })).toEqual({
      verdict: 'would alert',
      status: '🔔 would alert (> 50 ms)',
    });
    expect(alertStatus(p95, null)).toEqual({ verdict: 'not measured', status: '· not measured in this run' });
  });

  it('finds its rows by the declarations’ alert field, under any test and criterion id', () => {
    const declared = [scenario('my-cache-test', 'llm_cache_hit_rate', 'whatever-id')];
    const rows = readiness(
      file([
        scenarioResult('my-cache-test', [
          { id: 'whatever-id', data: { value: 50 } },
          { id: 'untagged', data: { value: 1 } },
        ]),
      ]),
      declared,
    );
    const hitRows = rows.filter((r) => r.alert === 'llm_cache_hit_rate');
    expect(hitRows).toEqual([
      {
        alert: 'llm_cache_hit_rate',
        threshold: 'alerts below 30 %',
        severity: 'info',
        where: 'My cache test: Hit rate',
        measured: '50 %',
        verdict: 'no alert',
        status: '✅ no alert (≥ 30 %)',
      },
    ]);
  });

  it('reads a benchmark criterion’s variant summary, one row per alert the criterion names', () => {
    const benchmark = benchmarkSchema.parse({
      ...header,
      id: 'creation',
      title: 'Creation',
      variants: [{ name: 'normal', subject: 'checkpoint-commit' }],
      criteria: [
        {
          id: 'p95',
          description: 'P95',
          seed: '—',
          ours: '< 20 ms',
          metric: { variant: 'normal', stat: 'p95', maxMs: 20 },
          alert: ['checkpoint_creation_latency_p95', 'checkpoint_creation_latency_p99'],
        },
      ],
    });
    const samples = Array.from({ length: 100 }, (_, i) => i + 1); // P95 95 ms, P99 99 ms
    const result: BenchResult = {
      ...header,
      id: 'creation',
      title: 'Creation',
      category: 'bench',
      seed: 1,
      durationMs: 1000,
      criteria: [],
      workers: [],
      survivors: [],
      measurements: [
        {
          variant: 'normal',
          subject: 'checkpoint-commit',
          durability: 'normal',
          peer: false,
          summary: summarizeLatencies(samples),
          opsPerSec: 1,
          samples,
        },
      ],
      options: { timeMs: 1, warmupMs: 1, iterations: 1 },
      state: 'passed',
    };
    const rows = readiness(file([result]), [{ category: 'bench', file: 'b.ts', id: 'creation', benchmark }]).filter(
      (r) => r.alert.startsWith('checkpoint_creation'),
    );
    expect(rows.map((r) => [r.alert, r.where, r.measured, r.status])).toEqual([
      ['checkpoint_creation_latency_p95', 'Creation, variant normal', '95.0 ms', '🔔 would alert (> 50 ms)'],
      ['checkpoint_creation_latency_p99', 'Creation, variant normal', '99.0 ms', '✅ no alert (≤ 100 ms)'],
    ]);
  });

  it('says "not measured" for a declared test that did not run, and names an alert no declaration feeds', () => {
    const rows = readiness(file([]), [scenario('my-cache-test', 'llm_cache_hit_rate')]);
    expect(rows.find((r) => r.alert === 'llm_cache_hit_rate')).toMatchObject({
      where: 'My cache test: Hit rate',
      measured: 'n/a',
      status: '· not measured in this run',
    });
    expect(rows.find((r) => r.alert === 'recovery_sweep_duration')).toMatchObject({
      where: 'no declared test feeds this alert',
      status: '· not measured in this run',
    });
  });

  it('rates "database is locked" over the whole run against 1 per hour', () => {
    const locked = (n: number) =>
      file([scenarioResult('a', [{ data: { locked: n } }]), scenarioResult('b', [{ data: { locked: 0 } }])], 60_000);
    const lockRow = (f: ResultsFile) =>
      readiness(f, []).find((r) => r.where === 'every worker of every test in this run');
    expect(lockRow(locked(0))).toMatchObject({
      measured: '0 in 60 s (0.0 per hour)',
      status: '✅ no alert (≤ 1 per hour)',
    });
    expect(lockRow(locked(1))).toMatchObject({
      measured: '1 in 60 s (60.0 per hour)',
      status: '🔔 would alert (> 1 per hour)',
    });
  });

  it('is fed by the declared scenarios for every alert but the run-wide lock count', async () => {
    const rows = readiness(file([]), await loadScenarios());
    const fed = new Set(rows.filter((r) => r.where !== 'no declared test feeds this alert').map((r) => r.alert));
    expect([...fed].sort()).toEqual([...ALERT_NAMES].sort());
    expect(rows.filter((r) => r.alert === 'database_lock_timeout').map((r) => r.where)).toEqual([
      'every worker of every test in this run',
    ]);
  });

  it('refuses an alert name the thresholds table does not have, naming the key path and the valid names', () => {
    const problems = (alert: unknown) =>
      scenarioSchema.safeParse(declaration('x', alert)).error?.issues.map((i) => [formatPath(i.path), i.message]);
    const valid = `expected one of ${ALERT_NAMES.join(', ')}, or a list of them`;
    expect(problems('llm_cache_hitrate')).toEqual([
      ['criteria[0].alert', `unknown alert "llm_cache_hitrate"; ${valid}`],
    ]);
    expect(problems(['llm_cache_hit_rate', 'nope'])).toEqual([
      ['criteria[0].alert', `unknown alert ["llm_cache_hit_rate","nope"]; ${valid}`],
    ]);
    expect(scenarioSchema.parse(declaration('x', 'llm_cache_hit_rate')).criteria[0]?.alert).toEqual([
      'llm_cache_hit_rate',
    ]);
  });
});

describe('criterionMark', () => {
  it('does not call a criterion that only reports a measurement "target met"', () => {
    // Before (markdown.ts verdictMark): '| Commit throughput | — | reported | 900 commits/s | ✅ target met |'.
    expect(criterionMark({ kind: 'target', valid: true, ours: 'reported' })).toBe('ℹ️ reported');
    expect(criterionMark({ kind: 'target', valid: false, ours: 'reported' })).toBe('⚠️ not measured');
    expect(criterionMark({ kind: 'target', valid: true, ours: '≤ 1 s' })).toBe('✅ target met');
    expect(criterionMark({ kind: 'target', valid: false, ours: '≤ 1 s' })).toBe('⚠️ target missed');
    expect(criterionMark({ kind: 'gate', valid: false, ours: 'reported' })).toBe('❌ fail');
    expect(criterionMark({ kind: 'gate', valid: 'unknown', ours: '0' })).toBe('❔ unknown');
  });
});
