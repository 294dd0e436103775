import type { HistoryEntry } from '../../workers/protocol.js';
import { caption, chartNumber, xychart, type Series } from './mermaid.js';

/** Upper bin edges 1, 3, 10, 30 … × 10^k ms from below the fastest commit to above the slowest. */
function edges(min: number, max: number): number[] {
  const out: number[] = [];
  for (let decade = Math.floor(Math.log10(Math.max(min, 1e-4))); out.length === 0 || out.at(-1)! < max; decade++) {
    for (const m of [1, 3]) {
      const edge = m * 10 ** decade;
      if (edge >= min || out.length > 0) out.push(Number(edge.toPrecision(1)));
      if (edge >= max) break;
    }
  }
  return out;
}

/**
 * The commit-latency distribution of a stress test from its history: per log-spaced bin the share of commits (bars)
 * and the share at or below its upper edge (the CDF, a line). Log bins keep the fast bulk and the slow tail apart,
 * where a linear axis would crush one of them. Empty when the test committed nothing.
 */
export function latencyCdfChart(title: string, history: readonly HistoryEntry[]): string[] {
  const latencies = history
    .flatMap((e) => (e.kind === 'checkpoint.committed' ? [e.latencyMs] : []))
    .sort((a, b) => a - b);
  if (latencies.length === 0) return [];
  const bins = edges(latencies[0]!, latencies.at(-1)!);
  const counts = bins.map((edge, i) => latencies.filter((l) => l <= edge && (i === 0 || l > bins[i - 1]!)).length);
  const percent = (n: number): number => (100 * n) / latencies.length;
  let running = 0;
  const series: Series[] = [
    { type: 'bar', label: '% of commits in the bin', values: counts.map(percent) },
    {
      type: 'line',
      label: '% of commits at or below the bin’s upper edge (the CDF)',
      values: counts.map((n) => percent((running += n))),
    },
  ];
  return [
    ...xychart({
      title: `${title}: commit latency (${latencies.length} commits)`,
      x: { labels: bins.map((edge) => `≤ ${chartNumber(edge)} ms`) },
      y: { title: '% of commits', min: 0, max: 100 },
      series,
    }),
    '',
    `Commit latency of every acknowledged commit, in bins whose upper edges grow 1, 3, 10 … (log scale). ${caption(series)}`,
  ];
}
