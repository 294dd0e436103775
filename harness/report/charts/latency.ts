import type { HistoryEntry } from '../../workers/protocol.js';
import {
  COLOURS,
  INK_COLOUR,
  axisStyle,
  chartId,
  chartNumber,
  legendRows,
  legendStyle,
  renderSvg,
  titleBlock,
  yNameStyle,
  type Chart,
} from './echarts.js';

/** A declared latency target: the percentile of commit latency and its bound ("P99 ≤ 500 ms"). */
export interface LatencyTarget {
  percentile: number;
  maxMs: number;
}

const MAX_POINTS = 400;

/** Every acknowledged commit's latency, ascending. */
function commitLatencies(history: readonly HistoryEntry[]): number[] {
  return history.flatMap((e) => (e.kind === 'checkpoint.committed' ? [e.latencyMs] : [])).sort((a, b) => a - b);
}

/** Nearest-rank percentile of ascending values: the value at index ⌈q·n⌉−1. */
export function nearestRank(sorted: readonly number[], percent: number): number {
  return sorted[Math.max(0, Math.ceil((percent / 100) * sorted.length) - 1)]!;
}

/** Latencies of 0 ms (a coarse clock) cannot sit on a log axis: they are drawn at this floor. */
const FLOOR_MS = 0.001;

/**
 * The commit-latency CDF of a stress test: share of commits at or below each latency on a log axis (the fast bulk and
 * the slow tail both visible), with P50, P95 and P99 and each declared target as vertical lines. Undefined when the
 * test committed nothing.
 */
export function latencyCdfChart(
  key: string,
  title: string,
  history: readonly HistoryEntry[],
  targets: readonly LatencyTarget[] = [],
): Chart | undefined {
  const latencies = commitLatencies(history).map((l) => Math.max(l, FLOOR_MS));
  if (latencies.length === 0) return undefined;
  const n = latencies.length;
  const step = Math.ceil(n / MAX_POINTS);
  const points = latencies.flatMap((l, i) => (i % step === 0 || i === n - 1 ? [[l, (100 * (i + 1)) / n]] : []));
  const percentiles = [50, 95, 99].map((p) => ({ p, value: nearestRank(latencies, p) }));
  const names = ['share of commits at or below', 'P50, P95, P99', 'target'].slice(0, targets.length > 0 ? 3 : 2);
  const [cdfName, percentileName] = ['share of commits at or below', 'P50, P95, P99'];
  const head = titleBlock(`Commit latency distribution (${n} commits)`, title);
  const legend = legendRows(names);
  // Percentiles are labelled at the top, targets at the bottom: a P99 next to its target keeps both labels readable.
  const line = (
    colour: string,
    type: 'solid' | 'dashed',
    data: { xAxis: number; label: string }[],
    position: 'insideEndTop' | 'insideStartTop',
  ) => ({
    silent: true,
    symbol: 'none',
    lineStyle: { color: colour, width: 1.5, type },
    label: { show: true, position, color: INK_COLOUR, fontSize: 11 },
    data: data.map((d) => ({ xAxis: d.xAxis, label: { formatter: d.label } })),
  });
  const max = Math.max(latencies.at(-1)!, ...targets.map((t) => t.maxMs));
  const svg = renderSvg(
    {
      title: head.title,
      legend: { ...legendStyle, bottom: 8, left: 20, data: names },
      grid: { top: head.height + 30, left: 70, right: 30, bottom: 56 + legend * 22 },
      xAxis: {
        type: 'log',
        name: 'commit latency (ms, log scale)',
        nameLocation: 'middle',
        nameGap: 28,
        min: 10 ** Math.floor(Math.log10(latencies[0]!)),
        max: 10 ** Math.ceil(Math.log10(max)),
        ...axisStyle,
      },
      yAxis: {
        type: 'value',
        name: '% of commits ≤ latency',
        min: 0,
        max: 100,
        ...axisStyle,
        nameTextStyle: yNameStyle,
      },
      series: [
        {
          type: 'line',
          name: cdfName,
          showSymbol: false,
          step: 'end',
          lineStyle: { color: COLOURS.blue, width: 2 },
          itemStyle: { color: COLOURS.blue },
          data: points,
        },
        {
          type: 'line',
          name: percentileName,
          data: [],
          lineStyle: { color: COLOURS.grey, type: 'dashed' },
          itemStyle: { color: COLOURS.grey },
          markLine: line(
            COLOURS.grey,
            'dashed',
            percentiles.map(({ p, value }) => ({ xAxis: value, label: `P${p} ${chartNumber(value)} ms` })),
            'insideEndTop',
          ),
        },
        ...(targets.length > 0
          ? [
              {
                type: 'line' as const,
                name: 'target',
                data: [],
                lineStyle: { color: COLOURS.vermillion },
                itemStyle: { color: COLOURS.vermillion },
                markLine: line(
                  COLOURS.vermillion,
                  'solid',
                  targets.map((t) => ({
                    xAxis: t.maxMs,
                    label: `target P${t.percentile} ≤ ${chartNumber(t.maxMs)} ms`,
                  })),
                  'insideStartTop',
                ),
              },
            ]
          : []),
      ],
    },
    380 + head.height + legend * 22,
  );
  return {
    id: chartId('latency-cdf', key),
    title: `${title}: commit latency distribution`,
    svg,
    caption:
      `The share of acknowledged commits at or below each latency (log scale), with ${percentiles.map(({ p, value }) => `P${p} ${chartNumber(value)} ms`).join(', ')} as dashed grey lines` +
      (targets.length > 0
        ? ` and the target${targets.length > 1 ? 's' : ''} (${targets.map((t) => `P${t.percentile} ≤ ${chartNumber(t.maxMs)} ms`).join(', ')}) in vermillion.`
        : '.'),
  };
}

/** The 1, 2, 5, 10, 20, 50 … sequence: its i-th value (i = 3·k is 10^k). */
const oneTwoFive = (i: number): number =>
  Number(([1, 2, 5][((i % 3) + 3) % 3]! * 10 ** Math.floor(i / 3)).toPrecision(1));

/** Bin edges on the 1, 2, 5 … sequence from at or below the fastest commit to at or above the slowest. */
function edges(min: number, max: number): number[] {
  let i = 3 * Math.floor(Math.log10(min));
  while (oneTwoFive(i + 1) <= min) i++;
  const out = [oneTwoFive(i)];
  while (out.at(-1)! < max) out.push(oneTwoFive(++i));
  return out;
}

/**
 * A stress test's commit latencies as a histogram: commits per log-spaced bin (1, 2, 5 … ms), so the bulk and the tail
 * both show. Undefined when the test committed nothing.
 */
export function latencyHistogramChart(key: string, title: string, history: readonly HistoryEntry[]): Chart | undefined {
  const latencies = commitLatencies(history).map((l) => Math.max(l, FLOOR_MS));
  if (latencies.length === 0) return undefined;
  const bins = edges(latencies[0]!, latencies.at(-1)!);
  const labels = bins.slice(1).map((edge, i) => `${chartNumber(bins[i]!)}–${chartNumber(edge)}`);
  // Bins hold (lower, upper]; the first also its lower edge.
  const counts = bins.slice(1).map((edge, i) => latencies.filter((l) => (l > bins[i]! || i === 0) && l <= edge).length);
  const head = titleBlock(`Commit latency histogram (${latencies.length} commits)`, title);
  const svg = renderSvg(
    {
      title: head.title,
      grid: { top: head.height + 30, left: 70, right: 30, bottom: 60 },
      xAxis: {
        type: 'category',
        name: 'commit latency (ms), bins growing 1, 2, 5, 10 …',
        nameLocation: 'middle',
        nameGap: 34,
        data: labels,
        ...axisStyle,
        axisLabel: { ...axisStyle.axisLabel, interval: 0, hideOverlap: true },
      },
      yAxis: { type: 'value', name: 'commits', minInterval: 1, ...axisStyle, nameTextStyle: yNameStyle },
      series: [
        {
          type: 'bar',
          name: 'commits in the bin',
          data: counts,
          barCategoryGap: '10%',
          itemStyle: { color: COLOURS.blue },
          label: {
            show: true,
            position: 'top',
            color: INK_COLOUR,
            fontSize: 11,
            formatter: (p: { value: unknown }) => (Number(p.value) > 0 ? String(p.value) : ''),
          },
        },
      ],
    },
    340 + head.height,
  );
  return {
    id: chartId('latency-histogram', key),
    title: `${title}: commit latency histogram`,
    svg,
    caption: `Acknowledged commits per latency bin (blue bars, count above each); the bins' edges grow 1, 2, 5, 10 … ms, so the fast bulk and the slow tail both show.`,
  };
}
