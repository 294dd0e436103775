import type { BenchResult } from '../../result.js';
import type { ResolvedBenchmark } from '../../schema.js';
import {
  COLOURS,
  INK_COLOUR,
  axisStyle,
  chartId,
  chartNumber,
  legendStyle,
  renderSvg,
  titleBlock,
  type Chart,
  type ItemRenderer,
} from './echarts.js';

interface TargetBar {
  label: string;
  measuredMs: number;
  /** The bound in ms: a fixed one, or a ratio target's bound times the other variant's measured value. */
  targetMs: number;
  /** How the target was set, for the caption: "≤ 0.06 ms", "≤ 0.5 × sqlitesaver-normal's P50". */
  target: string;
}

type Stat = 'mean' | 'p50' | 'p95' | 'p99' | 'max';

/** Each of the benchmark's targets that the run measured, in ms. */
export function targetBars(result: BenchResult, benchmark: ResolvedBenchmark): TargetBar[] {
  const stat = (variant: string, name: Stat): number | null =>
    result.measurements.find((m) => m.variant === variant)?.summary[name] ?? null;
  return benchmark.criteria.flatMap((c) => {
    if (c.kind !== 'target') return [];
    const value = stat(c.metric.variant, c.metric.stat);
    const name = c.metric.stat.toUpperCase();
    if (value === null) return [];
    const label = `${c.metric.variant} ${name}`;
    if ('maxMs' in c.metric)
      return [{ label, measuredMs: value, targetMs: c.metric.maxMs, target: `≤ ${chartNumber(c.metric.maxMs)} ms` }];
    const other = stat(c.metric.ratioTo, c.metric.stat);
    return other
      ? [
          {
            // The same statistic may have a fixed target too: the row names what it is held against.
            label: `${label} vs ${c.metric.ratioTo}`,
            measuredMs: value,
            targetMs: other * c.metric.max,
            target: `≤ ${chartNumber(c.metric.max)} × ${c.metric.ratioTo}'s ${name}`,
          },
        ]
      : [];
  });
}

/** A horizontal bar from `from` to the row's value, labelled with the value in ms. */
function bar(colour: string, from: number): ItemRenderer {
  return (_params, api) => {
    const [x0 = 0, y = 0] = api.coord([from, api.value(0)]);
    const [x1 = 0] = api.coord([api.value(1), api.value(0)]);
    const value = Number(api.value(1));
    return {
      type: 'group',
      children: [
        { type: 'rect', shape: { x: x0, y: y - 9, width: x1 - x0, height: 18 }, style: { fill: colour } },
        {
          type: 'text',
          x: x1 + 6,
          y,
          style: { text: `${chartNumber(value)} ms`, fill: INK_COLOUR, fontSize: 11, verticalAlign: 'middle' },
        },
      ],
    };
  };
}

/**
 * The benchmark's targets as measured ms (bars, green when met, vermillion when missed) against each target in ms (a
 * black tick, and one line when every target is the same) on a log axis, so 0.02 ms and 30 ms targets share the chart.
 * Undefined when the benchmark declares no target it measured.
 */
export function benchTargetChart(result: BenchResult, benchmark: ResolvedBenchmark): Chart | undefined {
  const bars = targetBars(result, benchmark);
  if (bars.length === 0) return undefined;
  const head = titleBlock('Measured against target (ms, log scale)', result.title);
  const values = bars.flatMap((b) => [b.measuredMs, b.targetMs]);
  const oneTarget = new Set(bars.map((b) => b.targetMs)).size === 1;
  const longest = Math.max(...bars.map((b) => b.label.length));
  const met = (b: TargetBar): boolean => b.measuredMs <= b.targetMs;
  const min = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const svg = renderSvg(
    {
      title: head.title,
      legend: {
        ...legendStyle,
        bottom: 8,
        left: 20,
        data: [
          ...(bars.some(met) ? ['measured, target met'] : []),
          ...(bars.some((b) => !met(b)) ? ['measured, target missed'] : []),
          'target',
        ],
      },
      grid: { top: head.height + 20, left: Math.min(320, 20 + longest * 7), right: 90, bottom: 70 },
      yAxis: {
        type: 'category',
        data: bars.map((b) => b.label),
        inverse: true,
        ...axisStyle,
        splitLine: { show: false },
      },
      xAxis: {
        type: 'log',
        name: 'ms (log scale)',
        nameLocation: 'middle',
        nameGap: 28,
        min,
        max: 10 ** Math.ceil(Math.log10(Math.max(...values) * 1.01)),
        ...axisStyle,
      },
      series: [
        // Bars as drawn rectangles from the axis' start: ECharts draws a log axis' bars from its far end.
        ...(['met', 'missed'] as const).map((state) => ({
          type: 'custom' as const,
          name: `measured, target ${state}`,
          itemStyle: { color: state === 'met' ? COLOURS.green : COLOURS.vermillion },
          encode: { x: 1, y: 0 },
          renderItem: bar(state === 'met' ? COLOURS.green : COLOURS.vermillion, min),
          data: bars.flatMap((b, i) => ((state === 'met') === met(b) ? [[i, b.measuredMs]] : [])),
        })),
        {
          type: 'scatter',
          name: 'target',
          symbol: 'rect',
          symbolSize: [3, 30],
          itemStyle: { color: INK_COLOUR },
          data: bars.map((b) => b.targetMs),
          ...(oneTarget
            ? {
                markLine: {
                  silent: true,
                  symbol: 'none',
                  lineStyle: { color: INK_COLOUR, type: 'dashed', width: 1 },
                  label: {
                    show: true,
                    position: 'end',
                    color: INK_COLOUR,
                    fontSize: 11,
                    formatter: `target ${chartNumber(bars[0]!.targetMs)} ms`,
                  },
                  data: [{ xAxis: bars[0]!.targetMs }],
                },
              }
            : {}),
        },
      ],
    },
    head.height + 110 + bars.length * 36,
  );
  return {
    id: chartId('bench', result.id),
    title: `${result.title}: measured against target`,
    svg,
    caption:
      `Each target's statistic as measured, in ms on a log scale (green bar: met; vermillion: missed), and the target as a dark tick: ` +
      `${bars.map((b) => `${b.label} ${chartNumber(b.measuredMs)} ms against ${b.target}${b.target.endsWith(' ms') ? '' : ` = ${chartNumber(b.targetMs)} ms`}`).join('; ')}. ` +
      'The seed’s bounds are in the criteria table.',
  };
}
