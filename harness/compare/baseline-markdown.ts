import type { BenchFile } from '../report/bench-file.js';
import { caption, chartNumber, xychart, type Series } from '../report/charts/mermaid.js';
import { table } from '../report/table.js';
import { MIN_BASELINE_RUNS, type BaselineComparison, type BaselineOptions, type BaselineRow } from './baseline.js';

const MARK: Record<BaselineRow['verdict'], string> = {
  regression: '❌ regression',
  improvement: '✅ improvement',
  'no change': '➖ within noise',
  'not gated': '· not gated',
};

const percent = (x: number): string => `${(x * 100).toFixed(1)} %`;

/**
 * The baseline gate as Markdown: how it decides, a table per benchmark and statistic, and a P50 chart with the bound;
 * `advice` (how to get the earlier runs it lacks) goes under "Not gated".
 */
export function renderBaselineComparison(
  baseline: BenchFile[],
  head: BenchFile,
  result: BaselineComparison,
  options: BaselineOptions,
  advice: readonly string[] = [],
): string {
  const out: string[] = [];
  out.push(`# Benchmark gate: \`${head.commit}\` against ${result.runs} earlier run(s)`, '');
  out.push(
    `Per benchmark variant and statistic (P50${options.gateP99 ? `; P99 when every round has ≥ ${options.minP99Samples} samples` : ''}), the head run's value is compared with the same value in each earlier run. ` +
      'Run-to-run noise is multiplicative, so it is estimated in logs: from the m earlier runs, μ and s are the mean and ' +
      'standard deviation of ln(value), and the bound for one more run of unchanged code is ' +
      'exp(μ + t(1 − α, m − 1) · s · √(1 + 1/m)), a one-sided t prediction bound. A **regression** lies above the bound and ' +
      `more than 1 + T times the baseline's geometric mean (P50: T = ${options.thresholdP50}${options.gateP99 ? `, P99: T = ${options.thresholdP99}` : ''}).` +
      (options.gateP99
        ? ''
        : " P99 is shown but not gated: one run's P99 varies too much from run to run (`--gate-p99` gates it)."),
    '',
  );
  if (result.gated) {
    out.push(
      `This run makes ${result.comparisons} gated comparison(s); each is made at α = ${options.falseAlarmRate} ÷ ` +
        `${result.comparisons} = ${(result.alpha * 100).toPrecision(2)} %, so a run of unchanged code fails with probability at ` +
        `most ${percent(options.falseAlarmRate)} (Bonferroni), if runs are independent and their noise log-normal.`,
      '',
    );
  } else {
    out.push(
      `> **Not gated:** ${result.runs} earlier run(s) given, and at least ${MIN_BASELINE_RUNS} are needed to estimate ` +
        'run-to-run noise. The table shows where this run lies against them, but no verdict fails it (exit 0).',
      ...advice.map((line) => `> ${line}`),
      '',
    );
  }
  const other = baseline.filter(
    (f) => f.environment.cpu !== head.environment.cpu || f.environment.node !== head.environment.node,
  );
  if (other.length > 0) {
    out.push(
      `> ⚠️ ${other.length} earlier run(s) ran elsewhere (another CPU or Node version than head's ${head.environment.cpu} / Node ${head.environment.node}).`,
      '',
    );
  }
  out.push(
    table(
      [
        'Benchmark',
        'Stat',
        'Earlier runs',
        'Baseline (ms, geo. mean)',
        'Run-to-run spread (s)',
        'Head (ms)',
        'Ratio',
        'Bound (ms)',
        'Verdict',
      ],
      result.rows.map((r) => [
        r.id,
        r.stat.toUpperCase(),
        r.runs.length,
        r.center.toFixed(4),
        r.spread === null ? '—' : percent(r.spread),
        r.head.toFixed(4),
        `${r.ratio.toFixed(3)}×`,
        r.bounds === null ? '—' : `${r.bounds[0].toPrecision(3)} – ${r.bounds[1].toPrecision(3)}`,
        r.reason === undefined ? MARK[r.verdict] : `${MARK[r.verdict]} (${r.reason})`,
      ]),
    ),
    '',
  );
  const p50 = result.rows.filter((r) => r.stat === 'p50');
  if (p50.length > 0) out.push(...ratioChart(p50, options));
  const regressions = result.rows.filter((r) => r.verdict === 'regression');
  if (!result.gated) out.push(`**Not gated: ${result.runs} of ${MIN_BASELINE_RUNS} earlier runs.**`, '');
  else if (regressions.length > 0)
    out.push(
      `**${regressions.length} regression(s):** ${regressions.map((r) => `${r.id} ${r.stat.toUpperCase()}`).join(', ')}.`,
      '',
    );
  else out.push('**No regression.**', '');
  return out.join('\n');
}

/**
 * Head ÷ baseline P50 per variant as bars (horizontal, so long ids stay readable), with the regression bound ÷ baseline
 * and 1.0 as lines: variants a thousand times apart in ms share one scale.
 */
function ratioChart(p50: BaselineRow[], options: BaselineOptions): string[] {
  const series: Series[] = [
    { type: 'bar', label: 'head ÷ baseline P50', values: p50.map((r) => r.ratio) },
    { type: 'line', label: 'no change (1.0)', values: p50.map(() => 1) },
    {
      type: 'line',
      label: `the regression bound ÷ baseline (at least 1 + T = ${chartNumber(1 + options.thresholdP50)})`,
      values: p50.map((r) => Math.max(r.bounds ? r.bounds[1] / r.center : 1, 1 + options.thresholdP50)),
    },
  ];
  const top = Math.max(1.5, ...series.flatMap((s) => s.values.map((v) => v * 1.1)));
  return [
    ...xychart({
      title: 'P50: head ÷ baseline',
      horizontal: true,
      padEnds: true,
      x: { labels: p50.map((r) => r.id) },
      y: { title: 'head ÷ baseline', min: 0, max: top },
      series,
    }),
    '',
    `${caption(series)} A bar past the bound line is a regression (when the gate decides).`,
    '',
  ];
}
