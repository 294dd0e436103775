import type { BenchFile } from '../report/bench-file.js';
import type { Chart } from '../report/charts/echarts.js';
import { ratioChart } from '../report/charts/ratios.js';
import { table } from '../report/table.js';
import { MIN_GATE_ROUNDS, type CompareOptions, type ComparisonRow, type FileComparison } from './compare.js';

const MARK: Record<ComparisonRow['verdict'], string> = {
  regression: '❌ regression',
  improvement: '✅ improvement',
  'no change': '➖ within noise',
  'not gated': '· not gated',
};

/** The verdict cell: "within noise" says more when the bounds reach past ±T (the rounds cannot tell). */
export function verdictText(row: ComparisonRow, options: CompareOptions, marks = MARK): string {
  const t = row.stat === 'p50' ? options.thresholdP50 : options.thresholdP99;
  if (row.reason !== undefined) return `${marks[row.verdict]} (${row.reason})`;
  if (row.verdict === 'no change' && row.bounds && (row.bounds[0] < 1 / (1 + t) || row.bounds[1] > 1 + t))
    return `${marks[row.verdict]} (inconclusive: the bounds reach past ±${t})`;
  return marks[row.verdict];
}

/** "0.981 – 1.020", or "—" when the row is not gated. */
export function boundsText(row: ComparisonRow): string {
  return row.bounds ? `${row.bounds[0].toFixed(3)} – ${row.bounds[1].toFixed(3)}` : '—';
}

/** head ÷ base P50 per variant as points with their bounds as whiskers, against 1.0 and 1 + T. */
export function comparisonChart(
  base: BenchFile,
  head: BenchFile,
  result: FileComparison,
  options: CompareOptions,
): Chart {
  return ratioChart({
    id: 'comparison',
    title: 'P50: head ÷ base, with its bounds',
    subtitle: `${base.commit} → ${head.commit}`,
    rows: result.rows
      .filter((r) => r.stat === 'p50')
      .map((r) => ({ id: r.id, ratio: r.ratio, verdict: r.verdict, ...(r.bounds ? { interval: r.bounds } : {}) })),
    threshold: 1 + options.thresholdP50,
    pointName: 'head ÷ base P50',
    intervalName: 'the ratio’s bounds',
  });
}

/** The chart's image link and caption under the table, when the caller wrote it to `file` (relative to the Markdown). */
export function chartReference(chart: Chart, file: string): string[] {
  return [`![${chart.title}](${file})`, '', chart.caption, ''];
}

/**
 * The comparison of two files as Markdown: how it decides, a table (rounds, base, head, ratio, bounds, verdict), a
 * head ÷ base P50 chart when `chartFile` names where it was written, and — when a side has too few rounds — `advice`:
 * how to add them.
 */
export function renderComparison(
  base: BenchFile,
  head: BenchFile,
  result: FileComparison,
  options: CompareOptions,
  advice: readonly string[] = [],
  chartFile?: string,
): string {
  const { rows } = result;
  const out: string[] = [];
  out.push(`# Benchmark comparison: \`${base.commit}\` → \`${head.commit}\``, '');
  out.push(
    `Per benchmark variant, each round's P50${options.gateP99 ? ' and P99' : ''} (one fresh process) is a value; noise from round to ` +
      'round is multiplicative, so it is compared in logs. Ratio = head ÷ base of the geometric means over the rounds; the ' +
      'bounds are a two-sample t bound on the log ratio with the pooled round-to-round spread, each one-sided at α. ' +
      `A **regression** is above 1 at its lower bound and more than 1 + T (P50: T = ${options.thresholdP50}` +
      `${options.gateP99 ? `, P99: T = ${options.thresholdP99}` : ''}). At least ${MIN_GATE_ROUNDS} rounds a side are needed.` +
      (options.gateP99 ? '' : " P99 is shown, not gated: a round's P99 varies too much (`--gate-p99` gates it)."),
    '',
  );
  if (result.comparisons > 0)
    out.push(
      `${result.comparisons} gated comparison(s), each at α = ${options.falseAlarmRate} ÷ ${result.comparisons} = ` +
        `${(result.alpha * 100).toPrecision(2)} %: two files of unchanged code fail with probability at most ` +
        `${(options.falseAlarmRate * 100).toFixed(1)} % (Bonferroni), if rounds are independent and their noise log-normal.`,
      '',
    );
  if (base.environment.cpu !== head.environment.cpu || base.environment.node !== head.environment.node) {
    out.push(
      `> ⚠️ Different environments: base ${base.environment.cpu} / Node ${base.environment.node}, head ${head.environment.cpu} / Node ${head.environment.node}.`,
      '',
    );
  }
  if (advice.length > 0) out.push(...advice.map((line) => `> ${line}`), '');
  out.push(
    table(
      ['Benchmark', 'Stat', 'Rounds (base+head)', 'Base (ms)', 'Head (ms)', 'Ratio', 'Bounds', 'Spread (s)', 'Verdict'],
      rows.map((r) => [
        r.id,
        r.stat.toUpperCase(),
        `${r.rounds[0]}+${r.rounds[1]}`,
        r.base.toFixed(4),
        r.head.toFixed(4),
        `${r.ratio.toFixed(3)}×`,
        boundsText(r),
        r.spread === null ? '—' : `${(r.spread * 100).toFixed(1)} %`,
        verdictText(r, options),
      ]),
    ),
    '',
    'Base and head: geometric mean over the rounds. Spread: the pooled standard deviation of ln(value) within the rounds ' +
      'of a side (0.05 ≈ 5 % from round to round).',
    '',
  );
  if (chartFile && rows.some((r) => r.stat === 'p50'))
    out.push(...chartReference(comparisonChart(base, head, result, options), chartFile));
  out.push(conclusion(result), '');
  return out.join('\n');
}

/** The last line: regressions, or why nothing was gated. */
export function conclusion(result: FileComparison): string {
  const regressions = result.rows.filter((r) => r.verdict === 'regression');
  if (regressions.length > 0)
    return `**${regressions.length} regression(s):** ${regressions.map((r) => `${r.id} ${r.stat.toUpperCase()}`).join(', ')}.`;
  if (result.comparisons === 0) return `**Not gated: fewer than ${MIN_GATE_ROUNDS} rounds a side.**`;
  const partly = result.needed.base > 0 || result.needed.head > 0 ? ' (some variants not gated: too few rounds)' : '';
  return `**No regression${partly}.**`;
}
