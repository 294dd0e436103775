import type { BenchFile } from '../report/bench-file.js';
import { caption, chartNumber, xychart, type Series } from '../report/charts/mermaid.js';
import { table } from '../report/table.js';
import { MIN_GATE_ROUNDS, type CompareOptions, type ComparisonRow } from './compare.js';

const MARK: Record<ComparisonRow['verdict'], string> = {
  regression: '❌ regression',
  improvement: '✅ improvement',
  'no change': '➖ no change (the interval lies within ±T)',
  'not gated': '· not gated (too few samples)',
  'possible regression': '⚠️ possible regression (too few rounds to gate)',
  'possible improvement': '✳️ possible improvement (too few rounds to gate)',
};

/**
 * compare.ts says "no change" whenever the interval does not clear the threshold; only an interval inside
 * [1 / (1 + T), 1 + T] shows that, and a wider one (0.17 – 6.45) says the data cannot tell.
 */
function mark(row: ComparisonRow, options: CompareOptions): string {
  const t = row.stat === 'p50' ? options.thresholdP50 : options.thresholdP99;
  if (row.verdict === 'no change' && (row.ci[0] < 1 / (1 + t) || row.ci[1] > 1 + t))
    return `❔ inconclusive (the interval reaches past ±${t})`;
  return MARK[row.verdict];
}

/** Timings measured over every round of a benchmark (the file keeps at most 2,000 of each round's). */
function timed(file: BenchFile, id: string): number {
  return file.benchmarks.find((b) => b.id === id)?.rounds.reduce((sum, r) => sum + r.n, 0) ?? 0;
}

/** head ÷ base P50 per benchmark as one bar series, horizontal so that long ids stay readable, with lines at 1.0 and 1 + T. */
function ratioChart(p50: ComparisonRow[], options: CompareOptions): string[] {
  const series: Series[] = [
    { type: 'bar', label: 'head ÷ base P50', values: p50.map((r) => r.ratio) },
    { type: 'line', label: 'no change (1.0)', values: p50.map(() => 1) },
    {
      type: 'line',
      label: `the regression threshold (1 + T = ${chartNumber(1 + options.thresholdP50)})`,
      values: p50.map(() => 1 + options.thresholdP50),
    },
  ];
  const top = Math.max(1.5, ...p50.map((r) => r.ratio * 1.1), (1 + options.thresholdP50) * 1.1);
  return [
    ...xychart({
      title: 'P50: head ÷ base',
      horizontal: true,
      padEnds: true,
      x: { labels: p50.map((r) => r.id) },
      y: { title: 'head ÷ base', min: 0, max: top },
      series,
    }),
    '',
    `${caption(series)} A bar past the threshold line is slower by more than T; whether that is a regression depends on its interval (table).`,
    '',
  ];
}

/** The comparison as Markdown: a table (base, head, ratio, 95 % CI, verdict) and a head ÷ base P50 chart. */
export function renderComparison(
  base: BenchFile,
  head: BenchFile,
  rows: ComparisonRow[],
  options: CompareOptions,
): string {
  const out: string[] = [];
  out.push(`# Benchmark comparison: \`${base.commit}\` → \`${head.commit}\``, '');
  out.push(
    `Ratio = head ÷ base of the median over rounds; 95 % interval by bootstrap (${options.resamples} resamples). ` +
      `A regression is flagged only when the interval's lower bound exceeds 1 + T (P50: T = ${options.thresholdP50}, ` +
      `P99: T = ${options.thresholdP99}, P99 gated only with ≥ ${options.minP99Samples} samples per round). Percentiles: ${head.percentileMethod}.`,
    '',
  );
  if (base.environment.cpu !== head.environment.cpu || base.environment.node !== head.environment.node) {
    out.push(
      `> ⚠️ Different environments: base ${base.environment.cpu} / Node ${base.environment.node}, head ${head.environment.cpu} / Node ${head.environment.node}.`,
      '',
    );
  }
  if (rows.some((r) => !r.gated)) {
    out.push(
      `> Fewer than ${MIN_GATE_ROUNDS} rounds on a side. With one round the interval is resampled from that run's samples, so ` +
        'it covers the noise within one run, not from one run to the next (on a shared machine two runs of the same ' +
        'commit can differ by 20 % or more). Such verdicts are indicative and do not fail the comparison. For a gate, ' +
        `compare with \`--refs\` (at least ${MIN_GATE_ROUNDS} alternating rounds per side).`,
      '',
    );
  }
  out.push(
    table(
      ['Benchmark', 'Stat', 'Base (ms)', 'Head (ms)', 'Ratio', '95 % CI', 'Timed (base+head)', 'Resampled', 'Verdict'],
      rows.map((r) => [
        r.id,
        r.stat.toUpperCase(),
        r.base.toFixed(4),
        r.head.toFixed(4),
        `${r.ratio.toFixed(3)}×`,
        `${r.ci[0].toFixed(3)} – ${r.ci[1].toFixed(3)}`,
        `${timed(base, r.id)}+${timed(head, r.id)}`,
        r.method,
        mark(r, options),
      ]),
    ),
    '',
    'Timed: the timings behind each side’s P50 (the n of the acceptance report). Resampled: what the interval is drawn from — ' +
      'per-round values with several rounds, else the retained samples, of which a benchmark file keeps at most 2,000 per round ' +
      '(every k-th of the sorted timings), so the counts differ from the report’s.',
    '',
  );
  const p50 = rows.filter((r) => r.stat === 'p50');
  if (p50.length > 0) out.push(...ratioChart(p50, options));
  const regressions = rows.filter((r) => r.verdict === 'regression');
  const possible = rows.filter((r) => r.verdict === 'possible regression');
  const list = (xs: ComparisonRow[]): string => xs.map((r) => `${r.id} ${r.stat.toUpperCase()}`).join(', ');
  if (regressions.length > 0) out.push(`**${regressions.length} regression(s):** ${list(regressions)}.`, '');
  if (possible.length > 0)
    out.push(`**${possible.length} possible regression(s), too few rounds to gate:** ${list(possible)}.`, '');
  if (regressions.length === 0) out.push(possible.length > 0 ? '**No gated regression.**' : '**No regression.**', '');
  return out.join('\n');
}
