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
    ...ids.map((id) => `| ${id} | ${shown.map((r) => (p50(r, id) === undefined ? '—' : `${chartNumber(p50(r, id)!)} ms`)).join(' | ')} |`),
    '',
  ];
  for (const benchmark of [...new Set(ids.map((id) => id.split('/')[0]!))]) {
    // A line needs a value at every commit: variants missing from one are in the table only.
    const variants = ids.filter((id) => id.startsWith(`${benchmark}/`) && shown.every((r) => p50(r, id) !== undefined));
    if (variants.length === 0) continue;
    const series: Series[] = variants.map((id) => ({
      type: 'line',
      label: id.slice(benchmark.length + 1),
      values: shown.map((r) => p50(r, id)! / p50(shown[0]!, id)!),
    }));
    const top = Math.max(1.5, ...series.flatMap((s) => s.values.map((v) => v * 1.1)));
    out.push(
      ...xychart({
        title: `${benchmark}: P50 ÷ P50 at ${shown[0]!.commit}`,
        x: { labels: shown.map((r) => r.commit) },
        y: { title: `P50 ÷ P50 at ${shown[0]!.commit}`, min: 0, max: top },
        series,
      }),
      '',
      `${benchmark}, P50 per commit as a ratio to the oldest commit shown (1.0); above 1 is slower. ${caption(series)}`,
      '',
    );
  }
  return out;
}
