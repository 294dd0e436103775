import type { BenchFile } from '../report/bench-file.js';
import type { Chart } from '../report/charts/echarts.js';
import { ratioChart } from '../report/charts/ratios.js';
import { chartReference } from './markdown.js';
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
 * The baseline gate as Markdown: how it decides, a table per benchmark and statistic, and the P50 chart written to
 * `chartFile` (relative to the Markdown) when given;
 * `advice` (how to get the earlier runs it lacks) goes under "Not gated".
 */
export function renderBaselineComparison(
  baseline: BenchFile[],
  head: BenchFile,
  result: BaselineComparison,
  options: BaselineOptions,
  advice: readonly string[] = [],
  chartFile?: string,
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
  if (chartFile && result.rows.some((r) => r.stat === 'p50'))
    out.push(...chartReference(baselineChart(head, result, options), chartFile));
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
 * Head ÷ baseline P50 per variant as points, with the interval one more run of unchanged code would fall in (the
 * prediction bounds ÷ baseline) as whiskers: variants a thousand times apart in ms share one scale.
 */
export function baselineChart(head: BenchFile, result: BaselineComparison, options: BaselineOptions): Chart {
  return ratioChart({
    id: 'bench-gate',
    title: 'P50: head ÷ baseline, with the range of unchanged code',
    subtitle: `${head.commit} against ${result.runs} earlier run(s)`,
    rows: result.rows
      .filter((r) => r.stat === 'p50')
      .map((r) => ({
        id: r.id,
        ratio: r.ratio,
        verdict: r.verdict,
        ...(r.bounds ? { interval: [r.bounds[0] / r.center, r.bounds[1] / r.center] as const } : {}),
      })),
    threshold: 1 + options.thresholdP50,
    pointName: 'head ÷ baseline P50',
    intervalName: 'prediction bounds of unchanged code',
  });
}
