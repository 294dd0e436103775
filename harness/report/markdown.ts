import type { LoadedScenario } from '../load.js';
import { isPeer, resultKey, type TestResult } from '../result.js';
import { reportsDir } from '../project.js';
import { renderAttention } from './attention.js';
import type { Chart } from './charts/echarts.js';
import { chartSink } from './charts/sink.js';
import { trendSection } from './charts/trend.js';
import { applicable, countRuns, tally } from './counts.js';
import { isReportedOnly } from './criterion-mark.js';
import { INVARIANTS_ANCHOR, READINESS_ANCHOR, summarizeRun } from './failures.js';
import { memoryMark, memoryRows } from './memory.js';
import { FULL_RUN_FILES, PARTIAL_RUN_FILES, partialRun } from './partial-run.js';
import { renderInvariants } from './invariants.js';
import { readiness } from './readiness.js';
import { renderRecoveryTime } from './recovery-time.js';
import { loadReportSources, type ReportSources } from './report-sources.js';
import type { ResultsFile } from './results-file.js';
import { renderSubjectMatrix } from './subject-matrix.js';
import { table } from './table.js';
import { renderTestSection, seconds } from './test-section.js';
import { PROGRAM } from '../program.js';

export { cell, table } from './table.js';

const CATEGORY_TITLES: Record<string, string> = {
  chaos: 'Chaos scenarios',
  bench: 'Performance benchmarks',
  stress: 'Stress tests',
};

/** A rendered report: its Markdown, and the charts it links (each to be written to <chartsDir>/<id>.svg). */
export interface RenderedReport {
  markdown: string;
  charts: Chart[];
}

/** The acceptance report's Markdown alone (its charts linked from `charts/`). */
export function renderMarkdown(
  file: ResultsFile,
  declared: readonly LoadedScenario[],
  sources?: ReportSources,
): string {
  return renderReport(file, declared, sources).markdown;
}

/** The commit-latency targets a stress test declares ("P99 ≤ 500 ms"), for its latency chart. */
function latencyTargets(d: LoadedScenario | undefined): { percentile: number; maxMs: number }[] {
  if (!d || d.category === 'bench') return [];
  return d.scenario.criteria.flatMap((c) =>
    c.check.check === 'commit-latency' ? [{ percentile: c.check.percentile, maxMs: c.check.maxMs }] : [],
  );
}

/**
 * The acceptance report: verdict, then what needs attention (failures with cause and replay command, alerts that
 * would fire, missed targets), summary, environment, one section per declared test, benchmark trend, readiness,
 * appendix. `sources` (histories, earlier benchmark files) are read from reports/ unless given. Charts are linked as
 * <chartsDir>/<id>.svg, relative to the report.
 */
export function renderReport(
  file: ResultsFile,
  declared: readonly LoadedScenario[],
  sources: ReportSources = loadReportSources(file, reportsDir()),
  chartsDir = 'charts',
): RenderedReport {
  const charts = chartSink(chartsDir);
  const { environment: env } = file;
  // Peers are shown in the subject matrix only: their results never count in our verdict or sections.
  const all = file.results;
  const results = all.filter((r) => !isPeer(r));
  file = { ...file, results };
  const out: string[] = [];
  const counts = countRuns(results, file.missing);
  const { passed, notApplicable } = counts;
  const partial = partialRun(file.selection);
  out.push(`# AgentOS recovery layer — acceptance report${partial ? ' (partial run)' : ''}`, '');
  out.push(
    `Generated ${file.generatedAt} from commit \`${env.commit}\`${env.dirty ? ' (with uncommitted changes)' : ''}, seed ${file.seed} ` +
      `(replay with \`${PROGRAM} --seed ${file.seed}\`). Total run time ${seconds(file.durationMs + (file.campaign?.durationMs ?? 0))}` +
      `${file.campaign ? ` (declared tests ${seconds(file.durationMs)}, fault campaign ${seconds(file.campaign.durationMs)})` : ''}.`,
    '',
  );
  if (partial) {
    out.push(
      `> Partial run: ${partial}. It writes ${PARTIAL_RUN_FILES.report}, ${PARTIAL_RUN_FILES.html}, ${PARTIAL_RUN_FILES.charts}/ and ` +
        `${PARTIAL_RUN_FILES.results}, and leaves ${FULL_RUN_FILES.report}, ${FULL_RUN_FILES.html}, ${FULL_RUN_FILES.charts}/ and ` +
        `${FULL_RUN_FILES.results} as the last full run wrote them.`,
      '',
    );
  }
  const shouldPass = applicable(counts);
  const na = notApplicable > 0 ? `; ${notApplicable} not applicable here` : '';
  const c = file.campaign;
  const campaignOk = !c || (c.violations.length === 0 && c.errors.length === 0);
  const campaign = c
    ? `the fault campaign found ${campaignOk ? 'no violation' : `${c.violations.length} violation(s)${c.errors.length > 0 ? ` and could not judge ${c.errors.length} run(s)` : ''}`} in ${c.runs} runs (${seconds(c.durationMs)})`
    : '';
  // A campaign-only run (--campaign, --replay) has no declared test to count.
  const tests =
    shouldPass === 0 && c
      ? ''
      : `${passed === shouldPass && passed > 0 ? 'all ' : ''}${passed}/${shouldPass} ${notApplicable > 0 ? 'applicable ' : ''}declared tests passed${na}`;
  const ok = (tests === '' || (passed === shouldPass && passed > 0)) && campaignOk;
  const verdict = [tests, campaign].filter(Boolean).join('; ');
  out.push(`**Verdict: ${ok ? '✅' : '❌'} ${verdict}.**`, '');
  const titles = new Map(results.map((r) => [resultKey(r), r.title]));
  out.push(...renderAttention(summarizeRun(file, declared, sources.histories), titles));

  out.push('## Executive summary', '');
  const categories = Object.keys(file.declared);
  const targetsMet = (ran: readonly TestResult[]): string => {
    const targets = ran.flatMap((r) => r.criteria.filter((x) => x.kind === 'target' && !isReportedOnly(x)));
    return targets.length === 0 ? '—' : `${targets.filter((x) => x.valid === true).length}/${targets.length}`;
  };
  const row = (title: string, declaredCount: number, ran: readonly TestResult[]): (string | number)[] => {
    const n = countRuns(ran);
    return [title, declaredCount, n.ran, n.passed, n.failed, n.notApplicable, targetsMet(ran)];
  };
  out.push(
    table(
      ['Category', 'Declared', 'Ran', 'Passed', 'Failed', 'Not applicable (not run)', 'Performance targets met'],
      [
        ...categories.map((c) =>
          row(
            CATEGORY_TITLES[c] ?? c,
            file.declared[c] ?? 0,
            results.filter((r) => r.category === c),
          ),
        ),
        row(
          '**Total**',
          Object.values(file.declared).reduce((a, b) => a + b, 0),
          results,
        ),
      ],
    ),
    '',
  );

  out.push('## Environment', '');
  out.push(
    table(
      ['Commit', 'Node', 'V8', 'SQLite', 'CPU', 'Cores', 'Memory', 'OS', 'Durability', 'Seed'],
      [
        [
          env.commit,
          env.node,
          env.v8,
          env.sqlite,
          env.cpu,
          env.cores,
          `${env.memoryGiB} GiB`,
          env.os,
          'NORMAL (WAL) unless a test says FULL',
          file.seed,
        ],
      ],
    ),
    '',
  );

  out.push(...renderSubjectMatrix(all, sources.histories));
  out.push(...renderRecoveryTime(all, declared));

  for (const category of categories) {
    const ran = results.filter((r) => r.category === category);
    if (ran.length === 0) continue;
    out.push(`## ${CATEGORY_TITLES[category] ?? category}`, '');
    ran.forEach((r, i) => {
      const d = declared.find((x) => x.id === r.id);
      out.push(
        ...renderTestSection(r, i + 1, {
          ...(d?.category === 'bench' ? { benchmark: d.benchmark } : {}),
          latencyTargets: latencyTargets(d),
          history: sources.histories.get(resultKey(r)) ?? [],
          charts,
        }),
        '',
      );
    });
    if (category === 'bench') {
      const trend = trendSection(sources.benchRuns, charts);
      if (trend.length > 0) out.push('### Benchmark trend across commits', '', ...trend);
    }
  }

  if (results.length > 0) out.push(...renderReadiness(file, declared), '');
  if (file.campaign) out.push(`<a id="${INVARIANTS_ANCHOR}"></a>`, '', ...renderInvariants(file.campaign));
  out.push('## Appendix A: every test with its verdict', '', '```');
  for (const r of results) {
    out.push(`${r.category}/${resultKey(r)} (${r.seedTest}) ${r.state.toUpperCase()} in ${seconds(r.durationMs)}`);
  }
  out.push('', `Total: ${tally(counts)}`, '```', '');
  out.push(
    'Percentiles everywhere in this report are nearest-rank: the sample at index ⌈q·n⌉−1 of the sorted samples.',
    '',
  );
  return { markdown: out.join('\n'), charts: charts.charts };
}

function renderReadiness(file: ResultsFile, declared: readonly LoadedScenario[]): string[] {
  const rows = readiness(file, declared);
  return [
    `<a id="${READINESS_ANCHOR}"></a>`,
    '',
    '## Production readiness',
    '',
    'The seed’s alert thresholds (its section 5), evaluated against what this run measured.',
    '',
    table(
      ['Alert', 'Threshold', 'Severity', 'Measured where', 'Measured', 'Status'],
      rows.map((x) => [x.alert, x.threshold, x.severity, x.where, x.measured, x.status]),
    ),
    '',
    table(
      ['Memory', 'Target', 'Peak RSS', 'Status'],
      memoryRows(file).map((m) => [m.what, m.target, m.peak, memoryMark(m)]),
    ),
  ];
}
