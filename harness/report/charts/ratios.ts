import {
  COLOURS,
  INK_COLOUR,
  axisStyle,
  chartNumber,
  legendStyle,
  renderSvg,
  titleBlock,
  type Chart,
  type ItemRenderer,
} from './echarts.js';

/** One variant's ratio (head ÷ base) and the interval around it, with the verdict that colours its point. */
export interface RatioRow {
  id: string;
  ratio: number;
  /** Lower and upper end of the whisker, as ratios; absent when the variant was not gated. */
  interval?: readonly [number, number];
  verdict: 'regression' | 'improvement' | 'no change' | 'not gated';
}

export interface RatioChartInput {
  id: string;
  title: string;
  subtitle: string;
  rows: readonly RatioRow[];
  /** The regression threshold 1 + T, drawn as a line. */
  threshold: number;
  /** What the point and the whisker are, for the legend and caption. */
  pointName: string;
  intervalName: string;
}

const VERDICT_COLOURS: Record<RatioRow['verdict'], string> = {
  regression: COLOURS.vermillion,
  improvement: COLOURS.green,
  'no change': COLOURS.blue,
  'not gated': COLOURS.grey,
};

/**
 * Ratios as points with their interval as whiskers, one row per variant, against lines at 1 (no change) and 1 + T:
 * a regression is a point past 1 + T whose whisker stays above 1.
 */
export function ratioChart(input: RatioChartInput): Chart {
  const { rows } = input;
  const head = titleBlock(input.title, input.subtitle);
  const values = [1, input.threshold, ...rows.flatMap((r) => [r.ratio, ...(r.interval ?? [])])];
  const min = Math.floor(Math.min(...values) * 0.95 * 10) / 10;
  const max = Math.ceil(Math.max(...values) * 1.05 * 10) / 10;
  const longest = Math.max(...rows.map((r) => r.id.length));
  const whisker: ItemRenderer = (_params, api) => {
    const [x1 = 0, y = 0] = api.coord([api.value(1), api.value(0)]);
    const [x2 = 0] = api.coord([api.value(2), api.value(0)]);
    const cap = 8;
    const style = { stroke: INK_COLOUR, lineWidth: 1.5 };
    return {
      type: 'group',
      children: [
        { type: 'line', shape: { x1, y1: y, x2, y2: y }, style },
        { type: 'line', shape: { x1, y1: y - cap, x2: x1, y2: y + cap }, style },
        { type: 'line', shape: { x1: x2, y1: y - cap, x2, y2: y + cap }, style },
      ],
    };
  };
  const verdicts = (Object.keys(VERDICT_COLOURS) as RatioRow['verdict'][]).filter((v) =>
    rows.some((r) => r.verdict === v),
  );
  const pointNames = verdicts.map((v) => `${input.pointName}: ${v}`);
  const svg = renderSvg(
    {
      title: head.title,
      legend: { ...legendStyle, bottom: 8, left: 20, data: [...pointNames, input.intervalName] },
      grid: { top: head.height + 40, left: Math.min(360, 20 + longest * 7), right: 60, bottom: 80 },
      yAxis: {
        type: 'category',
        data: rows.map((r) => r.id),
        inverse: true,
        ...axisStyle,
        splitLine: { show: false },
      },
      xAxis: {
        type: 'value',
        name: input.pointName,
        nameLocation: 'middle',
        nameGap: 28,
        min,
        max,
        ...axisStyle,
        // The ends are the data's, not round numbers: unlabelled, so they never crowd the ticks beside them.
        axisLabel: { ...axisStyle.axisLabel, showMinLabel: false, showMaxLabel: false },
      },
      series: [
        {
          type: 'custom',
          name: input.intervalName,
          itemStyle: { color: INK_COLOUR },
          renderItem: whisker,
          encode: { x: [1, 2], y: 0 },
          data: rows.flatMap((r, i) => (r.interval ? [[i, r.interval[0], r.interval[1]]] : [])),
          markLine: {
            silent: true,
            symbol: 'none',
            // The category axis runs top to bottom, so a line's start is at the top: labels there, clear of the x axis.
            label: { show: true, position: 'start', color: INK_COLOUR, fontSize: 11 },
            data: [
              { xAxis: 1, lineStyle: { color: COLOURS.grey, type: 'solid', width: 1 }, label: { formatter: '1.0' } },
              {
                xAxis: input.threshold,
                lineStyle: { color: COLOURS.vermillion, type: 'dashed', width: 1.5 },
                label: { formatter: `1 + T = ${chartNumber(input.threshold)}` },
              },
            ],
          },
        },
        ...verdicts.map((v, k) => ({
          type: 'scatter' as const,
          name: pointNames[k]!,
          symbolSize: 11,
          itemStyle: { color: VERDICT_COLOURS[v] },
          label: {
            show: true,
            position: 'top' as const,
            color: INK_COLOUR,
            fontSize: 11,
            formatter: (p: { value: unknown }) => `${chartNumber((p.value as number[])[0]!)}×`,
          },
          data: rows.flatMap((r, i) => (r.verdict === v ? [[r.ratio, i]] : [])),
        })),
      ],
    },
    head.height + 130 + rows.length * 40,
  );
  return {
    id: input.id,
    title: input.title,
    svg,
    caption:
      `Per variant, ${input.pointName} as a point coloured by its verdict, with ${input.intervalName} as a whisker; ` +
      `the grey line is 1.0 (no change) and the dashed vermillion line 1 + T = ${chartNumber(input.threshold)}.`,
  };
}
