import { keptRunDir, type BenchResult, type ScenarioResult, type TestResult } from '../result.js';
import type { LoadedScenario } from '../load.js';
import { criterionMark, isReportedOnly } from './criterion-mark.js';
import { readiness } from './readiness.js';
import type { ResultsFile } from './results-file.js';

const CATEGORY_TITLES: Record<string, string> = { chaos: 'Chaos scenarios', bench: 'Performance benchmarks', stress: 'Stress tests' };

/** Escapes a value for a Markdown table cell. */
export function cell(value: unknown): string {
  return String(value).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function table(header: string[], rows: unknown[][]): string {
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** The acceptance report: summary, environment, one section per declared test, appendix of verdicts. */
export function renderMarkdown(file: ResultsFile, declared: readonly LoadedScenario[]): string {
  const { environment: env, results } = file;
  const out: string[] = [];
  const passed = results.filter((r) => r.state === 'passed').length;
  const notApplicable = results.filter((r) => r.state === 'not-applicable').length;
  out.push('# AgentOS recovery layer — acceptance report', '');
  out.push(
    `Generated ${file.generatedAt} from commit \`${env.commit}\`${env.dirty ? ' (with uncommitted changes)' : ''}, seed ${file.seed} ` +
      `(replay with \`pnpm chaos --seed ${file.seed}\`). Total run time ${seconds(file.durationMs)}.`,
    '',
  );
  if (file.selection.only || file.selection.category) {
    out.push(`> Partial run: ${file.selection.only ? `--only ${file.selection.only.join(',')}` : ''} ${file.selection.category ? `--category ${file.selection.category}` : ''}`.trim(), '');
  }
  const applicable = results.length - notApplicable + file.missing.length;
  const ok = passed === applicable && passed > 0;
  const na = notApplicable > 0 ? `; ${notApplicable} not applicable here` : '';
  out.push(`**Verdict: ${ok ? '✅ all' : '❌'} ${passed}/${applicable} ${notApplicable > 0 ? 'applicable ' : ''}declared tests passed${na}.**`, '');
  if (file.missing.length > 0) out.push(`**No result** (interrupted or timed out): ${file.missing.join(', ')}.`, '');

  out.push('## Executive summary', '');
  const categories = Object.keys(file.declared);
  out.push(
    table(
      ['Category', 'Declared', 'Ran', 'Passed', 'Failed', 'Not applicable', 'Performance targets met'],
      categories.map((c) => {
        const ran = results.filter((r) => r.category === c);
        const targets = ran.flatMap((r) => r.criteria.filter((x) => x.kind === 'target' && !isReportedOnly(x)));
        return [
          CATEGORY_TITLES[c] ?? c,
          file.declared[c] ?? 0,
          ran.length,
          ran.filter((r) => r.state === 'passed').length,
          ran.filter((r) => r.state === 'failed').length,
          ran.filter((r) => r.state === 'not-applicable').length,
          targets.length === 0 ? '—' : `${targets.filter((x) => x.valid === true).length}/${targets.length}`,
        ];
      }),
    ),
    '',
  );
  const missed = results.flatMap((r) => r.criteria.filter((x) => x.kind === 'target' && !isReportedOnly(x) && x.valid !== true).map((x) => `${r.id}: ${x.description} — ${x.ours}, measured ${x.measured}`));
  if (missed.length > 0) out.push('**Performance targets missed** (reported, not failing the run):', '', ...missed.map((m) => `- ${m}`), '');

  out.push('## Environment', '');
  out.push(
    table(
      ['Commit', 'Node', 'V8', 'SQLite', 'CPU', 'Cores', 'Memory', 'OS', 'Durability', 'Seed'],
      [[env.commit, env.node, env.v8, env.sqlite, env.cpu, env.cores, `${env.memoryGiB} GiB`, env.os, 'NORMAL (WAL) unless a test says FULL', file.seed]],
    ),
    '',
  );

  for (const category of categories) {
    const ran = results.filter((r) => r.category === category);
    if (ran.length === 0) continue;
    out.push(`## ${CATEGORY_TITLES[category] ?? category}`, '');
    ran.forEach((r, i) => out.push(...renderScenario(r, i + 1), ''));
  }

  if (results.length > 0) out.push(...renderReadiness(file, declared), '');
  out.push('## Appendix A: every test with its verdict', '', '```');
  for (const r of results) {
    out.push(`${r.category}/${r.id} (${r.seedTest}) ${r.state.toUpperCase()} in ${seconds(r.durationMs)}`);
  }
  out.push('', `Total: ${results.length} tests; passed: ${passed}; failed: ${results.length - passed - notApplicable}; not applicable: ${notApplicable}`, '```', '');
  out.push('Percentiles everywhere in this report are nearest-rank: the sample at index ⌈q·n⌉−1 of the sorted samples.', '');
  return out.join('\n');
}

function renderReadiness(file: ResultsFile, declared: readonly LoadedScenario[]): string[] {
  const rows = readiness(file, declared);
  const harnessMb = file.harnessPeakRssKb === null ? null : file.harnessPeakRssKb / 1024;
  // Our workers only: a benchmark's peer variant runs another library's code.
  const ours = file.results.flatMap((r) => r.workers.filter((w) => r.category !== 'bench' || !r.measurements.some((m) => m.peer && m.variant === w.id)).map((w) => ({ r: r.id, w })));
  const workerKb = Math.max(0, ...ours.map((x) => x.w.peakRssKb ?? 0));
  const largest = ours.find((x) => x.w.peakRssKb === workerKb);
  const mark = (v: number | null, limit: number): string => (v === null ? '· not measured' : v <= limit ? '✅ target met' : '⚠️ target missed');
  return [
    '## Production readiness',
    '',
    'The seed’s alert thresholds (its section 5), evaluated against what this run measured.',
    '',
    table(['Alert', 'Threshold', 'Severity', 'Measured where', 'Measured', 'Status'], rows.map((x) => [x.alert, x.threshold, x.severity, x.where, x.measured, x.status])),
    '',
    table(
      ['Memory', 'Target', 'Peak RSS', 'Status'],
      [
        ['Harness process (runs every declared test)', '≤ 250 MB', harnessMb === null ? 'n/a' : `${harnessMb.toFixed(1)} MB`, mark(harnessMb, 250)],
        [`Largest worker${largest ? ` (${largest.r}/${largest.w.id})` : ''}; the peer library's benchmark variants not counted`, '≤ 80 MB', `${(workerKb / 1024).toFixed(1)} MB`, mark(workerKb / 1024, 80)],
      ],
    ),
  ];
}

const STATE_MARKS = { passed: '✅ passed', failed: '❌ failed', 'not-applicable': '➖ not applicable' } as const;

function renderScenario(r: TestResult, n: number): string[] {
  const out: string[] = [];
  out.push(`### ${n}. ${r.title} — ${STATE_MARKS[r.state]} (${seconds(r.durationMs)})`, '');
  out.push(`**Purpose.** ${r.purpose}`, '');
  out.push(`**Seed test.** \`${r.seedTest}\` · **Declared as** \`${r.id}\``, '');
  out.push('**Procedure.**', '', ...r.procedure.map((p, i) => `${i + 1}. ${p}`), '');
  if (r.state === 'failed') {
    const kept = keptRunDir(r);
    out.push('**Why it failed.**', '', ...r.reasons.map((x) => `- ${x}`), ...(kept ? [`- Run folder kept for inspection: \`${kept}\``] : []), '');
  }
  if (r.state === 'not-applicable') {
    out.push(`**Not applicable here:** ${r.reason}. It was not run, and it is not counted as passed.`, '');
    return out;
  }
  if (r.category === 'bench' && r.measurements.length > 0) out.push(...renderMeasurements(r), '');
  out.push('**Criteria.**', '');
  out.push(table(['Criterion', 'Seed target', 'Our criterion', 'Measured', 'Verdict'], r.criteria.map((c) => [c.description, c.seed, c.ours, c.details ? `${c.measured} (${c.details})` : c.measured, criterionMark(c)])), '');
  if (r.category !== 'bench' && r.faults.length > 0) {
    const t0 = r.faults.find((f) => f.action === 'armed')?.t ?? r.faults[0]?.t ?? 0;
    out.push('**Fault log.**', '');
    out.push(table(['t (ms)', 'Fault', 'Target', 'Action', 'Detail'], r.faults.map((f) => [(f.t - t0).toFixed(0), f.fault, f.target, f.action, f.detail])), '');
    out.push(`**Vacuity guard.** ${r.vacuity.map((v) => `${v.fired ? '✅' : '❌'} ${v.fault} on ${v.target}: ${v.detail}`).join('; ')}`, '');
  }
  const peak = Math.max(0, ...r.workers.map((w) => w.peakRssKb ?? 0));
  if (r.category === 'bench') {
    out.push(`Each variant ran in its own fresh worker process; peak worker RSS ${(peak / 1024).toFixed(1)} MB.`);
    return out;
  }
  out.push(`Workers: ${r.workers.length} (${summariseExits(r)}); peak worker RSS ${(peak / 1024).toFixed(1)} MB. History: \`${r.historyFile.replace(/^.*?(reports\/)/, '$1')}\`.`);
  return out;
}

const ms = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(4));

function renderMeasurements(r: BenchResult): string[] {
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
  const names = r.measurements.map((m) => `"${m.variant}"`).join(', ');
  const series = (pick: (m: BenchResult['measurements'][number]) => number | null): string =>
    `[${r.measurements.map((m) => (pick(m) ?? 0).toFixed(4)).join(', ')}]`;
  const top = Math.max(...r.measurements.map((m) => m.summary.p99 ?? 0)) * 1.1;
  return [
    '**Measured** (ms; nearest-rank percentiles over every retained sample).',
    '',
    table(['Variant', 'Operation', 'Durability', 'n', 'Mean', 'P50', 'P95', 'P99', 'Max', 'ops/s'], rows),
    '',
    '```mermaid',
    'xychart-beta',
    `  title "${r.title}: P50 / P95 / P99 (ms)"`,
    `  x-axis [${names}]`,
    `  y-axis "ms" 0 --> ${top.toFixed(3)}`,
    `  bar ${series((m) => m.summary.p99)}`,
    `  bar ${series((m) => m.summary.p95)}`,
    `  bar ${series((m) => m.summary.p50)}`,
    '```',
    '',
    'Bars, back to front: P99, P95, P50.',
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
