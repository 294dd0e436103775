import {
  SERIES_COLOURS,
  axisStyle,
  chartId,
  chartNumber,
  legendRows,
  legendStyle,
  renderSvg,
  titleBlock,
  yNameStyle,
} from './echarts.js';
import { chartLines, type ChartSink } from './sink.js';

/** One commit's benchmark file, reduced to what a trend needs: P50 per benchmark variant ("<benchmark>/<variant>"). */
export interface BenchRun {
  commit: string;
  generatedAt: string;
  benchmarks: { id: string; p50: number }[];
}

/** Commits shown in a trend, newest last. */
const MAX_COMMITS = 10;

/**
 * P50 per benchmark variant per commit, oldest first: a table of the values, and one chart per benchmark with a line per
 * variant in ms on a log axis (a 0.005 ms and a 0.3 ms variant share it, and a slowdown by a factor looks the same for
 * both). A commit without a variant leaves a gap in its line. Empty with fewer than two commits.
 */
export function trendSection(runs: readonly BenchRun[], sink: ChartSink): string[] {
  const shown = [...runs].sort((a, b) => a.generatedAt.localeCompare(b.generatedAt)).slice(-MAX_COMMITS);
  if (shown.length < 2) return [];
  const ids = [...new Set(shown.flatMap((r) => r.benchmarks.map((b) => b.id)))];
  const p50 = (run: BenchRun, id: string): number | undefined => run.benchmarks.find((b) => b.id === id)?.p50;
  const out: string[] = [
    `P50 of each benchmark variant in the last ${shown.length} benchmark files of \`reports/bench/\` (one per commit; this run's rounds join its commit's), oldest first.`,
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
    const variants = ids.filter((id) => id.startsWith(`${benchmark}/`));
    const names = variants.map((id) => id.slice(benchmark.length + 1));
    const values = shown.flatMap((r) => variants.map((id) => p50(r, id) ?? NaN)).filter(Number.isFinite);
    const head = titleBlock('P50 per commit (ms, log scale)', benchmark);
    const legend = legendRows(names);
    const svg = renderSvg(
      {
        title: head.title,
        legend: { ...legendStyle, bottom: 8, left: 20, data: names },
        grid: { top: head.height + 30, left: 70, right: 30, bottom: 60 + legend * 22 },
        xAxis: {
          type: 'category',
          name: 'commit, oldest first',
          nameLocation: 'middle',
          nameGap: 28,
          data: shown.map((r) => r.commit),
          ...axisStyle,
          splitLine: { show: false },
        },
        yAxis: {
          type: 'log',
          name: 'P50 (ms)',
          min: 10 ** Math.floor(Math.log10(Math.min(...values))),
          max: 10 ** Math.ceil(Math.log10(Math.max(...values))),
          ...axisStyle,
          nameTextStyle: yNameStyle,
        },
        series: variants.map((id, i) => {
          const colour = SERIES_COLOURS[i % SERIES_COLOURS.length]!;
          return {
            type: 'line',
            name: names[i]!,
            symbolSize: 6,
            lineStyle: { color: colour, width: 2 },
            itemStyle: { color: colour },
            data: shown.map((r) => p50(r, id) ?? '-'),
          };
        }),
      },
      360 + head.height + legend * 22,
    );
    out.push(
      ...chartLines(sink, {
        id: chartId('trend', benchmark),
        title: `${benchmark}: P50 per commit`,
        svg,
        caption: `${benchmark}, P50 of each variant per commit in ms on a log scale, one line per variant (legend); higher is slower, and a gap is a commit that did not measure the variant.`,
      }),
      '',
    );
  }
  return out;
}
