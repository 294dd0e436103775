// The comparisons as a terminal reads them: plain aligned tables, no Markdown and no chart source.
import type { BenchFile } from '../report/bench-file.js';
import { MIN_BASELINE_RUNS, type BaselineComparison, type BaselineOptions } from './baseline.js';
import type { CompareOptions, FileComparison } from './compare.js';
import { boundsText, conclusion, verdictText } from './markdown.js';

const WORDS = {
  regression: 'REGRESSION',
  improvement: 'improvement',
  'no change': 'within noise',
  'not gated': 'not gated',
} as const;

/** Columns padded to their widest cell, numbers right-aligned, a rule under the header. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[\d.,+×%\s–—-]*$/.test(r[i] ?? '')));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Markdown emphasis and code marks dropped, for a line that also goes into a Markdown file. */
export function plain(markdown: string): string {
  return markdown.replace(/\*\*/g, '').replace(/`/g, '');
}

export function renderComparisonText(
  base: BenchFile,
  head: BenchFile,
  result: FileComparison,
  options: CompareOptions,
  advice: readonly string[] = [],
): string {
  const out = [`Benchmark comparison: ${base.commit} → ${head.commit}`, ''];
  out.push(
    textTable(
      ['Benchmark', 'Stat', 'Rounds', 'Base ms', 'Head ms', 'Ratio', 'Bounds', 'Verdict'],
      result.rows.map((r) => [
        r.id,
        r.stat.toUpperCase(),
        `${r.rounds[0]}+${r.rounds[1]}`,
        r.base.toFixed(4),
        r.head.toFixed(4),
        `${r.ratio.toFixed(3)}×`,
        boundsText(r),
        verdictText(r, options, WORDS),
      ]),
    ),
    '',
  );
  if (result.comparisons > 0)
    out.push(
      `Bounds: one-sided at α = ${(result.alpha * 100).toPrecision(2)} % each (${result.comparisons} gated comparisons, ${(options.falseAlarmRate * 100).toFixed(1)} % in all); a regression is above 1 at its lower bound and more than 1 + T (T = ${options.thresholdP50}).`,
      '',
    );
  if (advice.length > 0) out.push(...advice.map(plain), '');
  out.push(plain(conclusion(result)));
  return `${out.join('\n')}\n`;
}

export function renderBaselineText(
  head: BenchFile,
  result: BaselineComparison,
  options: BaselineOptions,
  advice: readonly string[] = [],
): string {
  const out = [`Benchmark gate: ${head.commit} against ${result.runs} earlier run(s)`, ''];
  out.push(
    textTable(
      ['Benchmark', 'Stat', 'Runs', 'Baseline ms', 'Spread', 'Head ms', 'Ratio', 'Bounds ms', 'Verdict'],
      result.rows.map((r) => [
        r.id,
        r.stat.toUpperCase(),
        String(r.runs.length),
        r.center.toFixed(4),
        r.spread === null ? '—' : `${(r.spread * 100).toFixed(1)} %`,
        r.head.toFixed(4),
        `${r.ratio.toFixed(3)}×`,
        r.bounds === null ? '—' : `${r.bounds[0].toPrecision(3)} – ${r.bounds[1].toPrecision(3)}`,
        r.reason === undefined ? WORDS[r.verdict] : `${WORDS[r.verdict]} (${r.reason})`,
      ]),
    ),
    '',
  );
  if (result.gated)
    out.push(
      `Bounds: one-sided at α = ${(result.alpha * 100).toPrecision(2)} % each (${result.comparisons} gated comparisons, ${(options.falseAlarmRate * 100).toFixed(1)} % in all); a regression lies above the bound and more than 1 + T (T = ${options.thresholdP50}) times the baseline.`,
      '',
    );
  if (advice.length > 0) out.push(...advice.map(plain), '');
  const regressions = result.rows.filter((r) => r.verdict === 'regression');
  out.push(
    !result.gated
      ? `Not gated: ${result.runs} of ${MIN_BASELINE_RUNS} earlier runs.`
      : regressions.length > 0
        ? `${regressions.length} regression(s): ${regressions.map((r) => `${r.id} ${r.stat.toUpperCase()}`).join(', ')}.`
        : 'No regression.',
  );
  return `${out.join('\n')}\n`;
}
