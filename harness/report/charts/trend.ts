import { caption, chartNumber, xychart, type Series } from './mermaid.js';

/** One commit's benchmark file, reduced to what a trend needs: P50 per benchmark variant ("<benchmark>/<variant>"). */
export interface BenchRun {
  commit: string;
  generatedAt: string;
  benchmarks: { id: string; p50: number }[];
}

/** Commits shown in a trend, newest last. */
const MAX_COMMITS = 10;

/**
 * P50 per benchmark variant per commit, oldest first: a table of the values, and one chart per benchmark with a line
 * per variant as a ratio to its P50 at the oldest commit shown (so a 0.005 ms and a 0.3 ms variant share an axis and a
 * slowdown reads the same for both). Empty with fewer than two commits.
 */
export function trendSection(runs: readonly BenchRun[]): string[] {
  const shown = [...runs].sort((a, b) => a.generatedAt.localeCompare(b.generatedAt)).slice(-MAX_COMMITS);
  if (shown.length < 2) return [];
  const ids = [...new Set(shown.flatMap((r) => r.benchmarks.map((b) => b.id)))];
  const p50 = (run: BenchRun, id: string): number | undefined => run.benchmarks.find((b) => b.id === id)?.p50;
  const out: string[] = [
    `P50 of each benchmark variant in the last ${shown.length} benchmark files of \`reports/bench/\` (one per commit; this run's replaces its commit's), oldest first.`,
    '',
    `| Variant | ${shown.map((r) => `\`${r.commit}\``).join(' | ')} |`,
    `|---|${shown.map(() => '---').join('|')}|`,
    ...ids.map(
      (id) =>
        `| ${id} | ${shown.map((r) => (p50(r, id) === undefined ? '—' : `${chartNumber(p50(r, id)!)} ms`)).join(' | ')} |`,
    ),
    '',
  ];
  for (const benchmark of [...new Set(ids.map((id) => id.split('/')[0]!))]) {
    const chart = chartable(
      shown,
      ids.filter((id) => id.startsWith(`${benchmark}/`)),
      p50,
    );
    if (!chart) continue;
    const first = chart.commits[0]!;
    const series: Series[] = chart.variants.map((id) => ({
      type: 'line',
      label: id.slice(benchmark.length + 1),
      values: chart.commits.map((r) => p50(r, id)! / p50(first, id)!),
    }));
    const top = Math.max(1.5, ...series.flatMap((s) => s.values.map((v) => v * 1.1)));
    const left = shown.length - chart.commits.length;
    out.push(
      ...xychart({
        title: `${benchmark}: P50 ÷ P50 at ${first.commit}`,
        x: { labels: chart.commits.map((r) => r.commit) },
        y: { title: `P50 ÷ P50 at ${first.commit}`, min: 0, max: top },
        series,
      }),
      '',
      `${benchmark}, P50 per commit as a ratio to the oldest commit charted (1.0); above 1 is slower. ${caption(series)}` +
        (left > 0 ? ` ${left} commit(s) without all of these variants are in the table only.` : ''),
      '',
    );
  }
  return out;
}

/**
 * The variants and commits of one benchmark a chart can draw (a line needs a value at every commit): the variants of
 * its newest commit, dropping the one measured least often until at least two commits have all the rest.
 */
function chartable(
  runs: readonly BenchRun[],
  ids: readonly string[],
  p50: (run: BenchRun, id: string) => number | undefined,
): { variants: string[]; commits: BenchRun[] } | undefined {
  const newest = [...runs].reverse().find((r) => ids.some((id) => p50(r, id) !== undefined));
  let variants = ids.filter((id) => newest && p50(newest, id) !== undefined);
  while (variants.length > 0) {
    const commits = runs.filter((r) => variants.every((id) => p50(r, id) !== undefined));
    if (commits.length >= 2) return { variants, commits };
    const seen = (id: string): number => runs.filter((r) => p50(r, id) !== undefined).length;
    const rarest = variants.reduce((a, b) => (seen(b) < seen(a) ? b : a));
    variants = variants.filter((id) => id !== rarest);
  }
  return undefined;
}
