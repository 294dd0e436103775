import type { BenchFile } from '../report/bench-file.js';
import { table } from '../report/markdown.js';
import { MIN_GATE_ROUNDS, type CompareOptions, type ComparisonRow } from './compare.js';

const MARK: Record<ComparisonRow['verdict'], string> = {
  regression: '❌ regression',
  improvement: '✅ improvement',
  'no change': '➖ no change',
  'not gated': '· not gated (too few samples)',
  'possible regression': '⚠️ possible regression (too few rounds to gate)',
  'possible improvement': '✳️ possible improvement (too few rounds to gate)',
};

/** The comparison as Markdown: a table (base, head, ratio, 95 % CI, verdict) and a base-vs-head P50 chart. */
export function renderComparison(base: BenchFile, head: BenchFile, rows: ComparisonRow[], options: CompareOptions): string {
  const out: string[] = [];
  out.push(`# Benchmark comparison: \`${base.commit}\` → \`${head.commit}\``, '');
  out.push(
    `Ratio = head ÷ base of the median over rounds; 95 % interval by bootstrap (${options.resamples} resamples). ` +
      `A regression is flagged only when the interval's lower bound exceeds 1 + T (P50: T = ${options.thresholdP50}, ` +
      `P99: T = ${options.thresholdP99}, P99 gated only with ≥ ${options.minP99Samples} samples per round). Percentiles: ${head.percentileMethod}.`,
    '',
  );
  if (base.environment.cpu !== head.environment.cpu || base.environment.node !== head.environment.node) {
    out.push(`> ⚠️ Different environments: base ${base.environment.cpu} / Node ${base.environment.node}, head ${head.environment.cpu} / Node ${head.environment.node}.`, '');
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
      ['Benchmark', 'Stat', 'Base (ms)', 'Head (ms)', 'Ratio', '95 % CI', 'Basis', 'Verdict'],
      rows.map((r) => [r.id, r.stat.toUpperCase(), r.base.toFixed(4), r.head.toFixed(4), `${r.ratio.toFixed(3)}×`, `${r.ci[0].toFixed(3)} – ${r.ci[1].toFixed(3)}`, r.method, MARK[r.verdict]]),
    ),
    '',
  );
  const p50 = rows.filter((r) => r.stat === 'p50');
  if (p50.length > 0) {
    const top = Math.max(...p50.flatMap((r) => [r.base, r.head])) * 1.1;
    out.push(
      '```mermaid',
      'xychart-beta',
      '  title "P50 (ms): base (first bar) vs head (second bar)"',
      `  x-axis [${p50.map((r) => `"${r.id}"`).join(', ')}]`,
      `  y-axis "ms" 0 --> ${top.toFixed(4)}`,
      `  bar [${p50.map((r) => r.base.toFixed(4)).join(', ')}]`,
      `  bar [${p50.map((r) => r.head.toFixed(4)).join(', ')}]`,
      '```',
      '',
    );
  }
  const regressions = rows.filter((r) => r.verdict === 'regression');
  const possible = rows.filter((r) => r.verdict === 'possible regression');
  const list = (xs: ComparisonRow[]): string => xs.map((r) => `${r.id} ${r.stat.toUpperCase()}`).join(', ');
  if (regressions.length > 0) out.push(`**${regressions.length} regression(s):** ${list(regressions)}.`, '');
  if (possible.length > 0) out.push(`**${possible.length} possible regression(s), too few rounds to gate:** ${list(possible)}.`, '');
  if (regressions.length === 0) out.push(possible.length > 0 ? '**No gated regression.**' : '**No regression.**', '');
  return out.join('\n');
}
