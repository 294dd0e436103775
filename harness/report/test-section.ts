import { resultKey } from '../result.js';
import type { ResolvedBenchmark } from '../schema.js';
import type { BenchResult, ScenarioResult, TestResult, VacuityResult } from '../result.js';
import type { HistoryEntry } from '../workers/protocol.js';
import { renderWhyFailed } from './attention.js';
import { benchTargetChart } from './charts/bench-targets.js';
import { latencyCdfChart, latencyHistogramChart, type LatencyTarget } from './charts/latency.js';
import { chartLines, type ChartSink } from './charts/sink.js';
import { scenarioStart, timelineChart } from './charts/timeline.js';
import { criterionMark, isReportedOnly } from './criterion-mark.js';
import { failedTest, testAnchor } from './failures.js';
import { LONG_LOG, summariseFaultLog, summariseVacuity } from './fault-summary.js';
import { code, table } from './table.js';

const STATE_MARKS = { passed: '✅ passed', failed: '❌ failed', 'not-applicable': '➖ not applicable' } as const;

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/**
 * The targets' verdict for a heading (" · ⚠️ 2 of 5 targets missed"): targets are reported, not gating, so a test can
 * pass with targets missed. Empty for a test without targets, or one that did not run.
 */
export function targetsMark(r: TestResult): string {
  const targets = r.criteria.filter((c) => c.kind === 'target' && !isReportedOnly(c));
  if (targets.length === 0 || r.state === 'not-applicable') return '';
  const missed = targets.filter((c) => c.valid === false).length;
  const unknown = targets.filter((c) => c.valid === 'unknown').length;
  const of = (k: number): string => (targets.length === 1 ? 'target' : `${k} of ${targets.length} targets`);
  if (missed > 0) return ` · ⚠️ ${of(missed)} missed${unknown > 0 ? `, ${unknown} not judged` : ''}`;
  if (unknown > 0) return ` · ❔ ${of(unknown)} not judged`;
  return targets.length === 1 ? ' · target met' : ` · all ${targets.length} targets met`;
}

/** reports/runs/<id>/history.jsonl, relative to the repository. */
export const relativeHistory = (path: string): string => path.replace(/^.*?(reports\/)/, '$1');

/** What a test's section draws besides its result: the benchmark's declaration, or a stress test's latency targets. */
export interface SectionContext {
  benchmark?: ResolvedBenchmark;
  latencyTargets?: readonly LatencyTarget[];
  history: readonly HistoryEntry[];
  /** Where the section's charts go (each linked from the section). */
  charts: ChartSink;
}

/** One declared test's section: purpose, procedure, why it failed, measurements, criteria, faults, charts. */
export function renderTestSection(r: TestResult, n: number, context: SectionContext): string[] {
  const { benchmark, history, charts } = context;
  const key = resultKey(r);
  const on = key === r.id ? '' : ` on ${key.slice(r.id.length + 1)}`;
  const out: string[] = [`<a id="${testAnchor(key)}"></a>`, ''];
  out.push(`### ${n}. ${r.title}${on} — ${STATE_MARKS[r.state]}${targetsMark(r)} (${seconds(r.durationMs)})`, '');
  out.push(`**Purpose.** ${r.purpose}`, '');
  out.push(`**Seed test.** \`${r.seedTest}\` · **Declared as** \`${r.id}\``, '');
  out.push('**Procedure.**', '', ...r.procedure.map((p, i) => `${i + 1}. ${p}`), '');
  const failed = failedTest(r, history);
  if (failed)
    out.push(
      ...renderWhyFailed(
        failed,
        r.category === 'bench' ? `reports/runs/${r.id}/history.jsonl` : relativeHistory(r.historyFile),
      ),
    );
  if (r.state === 'not-applicable') {
    out.push(`**Not applicable here:** ${r.reason}. It was not run, and it is not counted as passed.`, '');
    return out;
  }
  if (r.category === 'bench') {
    if (r.measurements.length > 0) out.push(...renderMeasurements(r, benchmark, charts), '');
  }
  out.push('**Criteria.**', '');
  out.push(
    table(
      ['Criterion', 'Seed target', 'Our criterion', 'Measured', 'Verdict'],
      r.criteria.map((c) => [
        c.description,
        c.seed,
        c.ours,
        c.details ? `${c.measured} (${c.details})` : c.measured,
        criterionMark(c),
      ]),
    ),
    '',
  );
  const peak = Math.max(0, ...r.workers.map((w) => w.peakRssKb ?? 0));
  if (r.category === 'bench') {
    out.push(`Each variant ran in its own fresh worker process; peak worker RSS ${(peak / 1024).toFixed(1)} MB.`);
    return out;
  }
  if (r.category === 'stress') {
    for (const chart of [
      latencyHistogramChart(key, r.title, history),
      latencyCdfChart(key, r.title, history, context.latencyTargets),
    ])
      if (chart) out.push(...chartLines(charts, chart), '');
  }
  if (r.faults.length > 0) out.push(...renderFaults(r, history, charts));
  out.push(
    `Workers: ${r.workers.length} (${summariseExits(r)}); peak worker RSS ${(peak / 1024).toFixed(1)} MB. History: ${code(relativeHistory(r.historyFile))}.`,
  );
  return out;
}

/**
 * The fault log (times since the scenario started), the timeline chart and the vacuity guard: entry by entry, or for a
 * long log one line per kind of fault and family of targets, with a link to the history that has every injection.
 */
function renderFaults(r: ScenarioResult, history: readonly HistoryEntry[], charts: ChartSink): string[] {
  const t0 = scenarioStart(history, r.faults) ?? 0;
  const out: string[] = [];
  if (r.faults.length > LONG_LOG) {
    const file = relativeHistory(r.historyFile);
    out.push(
      `**Fault log** (${r.faults.length} entries, summarised by fault and target; every injection, with its time and detail, is in the history file [${file}](${historyLink(r.historyFile)}), its \`fault.injected\` and \`fault.healed\` events).`,
      '',
      ...summariseFaultLog(r.faults, t0),
      '',
    );
  } else {
    out.push(
      '**Fault log.**',
      '',
      table(
        ['t (ms since start)', 'Fault', 'Target', 'Action', 'Detail'],
        r.faults.map((f) => [(f.t - t0).toFixed(0), f.fault, f.target, f.action, f.detail]),
      ),
      '',
    );
  }
  const chart = timelineChart(resultKey(r), r.title, history, r.faults);
  if (chart) out.push(...chartLines(charts, chart), '');
  out.push(
    '**Vacuity guard.** Each fault must really take effect, or the test fails.',
    '',
    ...(r.vacuity.length > LONG_LOG ? summariseVacuity(r.vacuity) : vacuityLines(r.vacuity)),
    '',
  );
  return out;
}

/** A history file as a link from the report beside it: runs/<key>/history.jsonl. */
const historyLink = (path: string): string => path.split(/[\\/]/).slice(-3).join('/');

/** One line per fault; a fault judged on the same evidence as an earlier one points to it instead of repeating it. */
export function vacuityLines(vacuity: readonly VacuityResult[]): string[] {
  return vacuity.map((v, i) => {
    const same = vacuity.findIndex(
      (w, j) => j < i && w.fault === v.fault && w.target === v.target && w.detail === v.detail && w.fired === v.fired,
    );
    const detail =
      same >= 0
        ? `the same evidence as fault ${same + 1} (the guard judges the faults on one target together)`
        : v.detail;
    return `- ${v.fired ? '✅' : '❌'} fault ${i + 1}, ${v.fault} on ${v.target}: ${detail}`;
  });
}

const ms = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(4));

function renderMeasurements(r: BenchResult, benchmark: ResolvedBenchmark | undefined, charts: ChartSink): string[] {
  const rows = r.measurements.map((m) => [
    `${m.variant}${m.peer ? ' (peer)' : ''}`,
    m.subject,
    m.durability.toUpperCase(),
    m.summary.n,
    ms(m.summary.mean),
    ms(m.summary.p50),
    ms(m.summary.p95),
    ms(m.summary.p99),
    ms(m.summary.max),
    Math.round(m.opsPerSec).toLocaleString('en'),
  ]);
  const chart = benchmark ? chartLines(charts, benchTargetChart(r, benchmark)) : [];
  return [
    '**Measured** (ms; nearest-rank percentiles over every timing; n is the number of timings).',
    '',
    table(['Variant', 'Operation', 'Durability', 'n', 'Mean', 'P50', 'P95', 'P99', 'Max', 'ops/s'], rows),
    '',
    'The benchmark file keeps at most 2,000 of each variant’s n timings (every k-th of the sorted timings, which keeps the distribution): those are what `bench:compare` resamples, so its counts are lower.',
    ...(chart.length > 0 ? ['', ...chart] : []),
  ];
}

function summariseExits(r: ScenarioResult): string {
  const counts = new Map<string, number>();
  for (const w of r.workers) {
    const key = w.signal ? `killed by ${w.signal}` : `exit ${w.exitCode}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, v]) => `${v} ${k}`).join(', ');
}
