import type { Chart } from './echarts.js';

/** Where a report's charts go while it is rendered: the folder its links name (relative to the report) and the charts. */
export interface ChartSink {
  dir: string;
  charts: Chart[];
}

export const chartSink = (dir: string): ChartSink => ({ dir, charts: [] });

/** Keeps the chart for writing and returns its Markdown: an image link to <dir>/<id>.svg, then its caption. */
export function chartLines(sink: ChartSink, chart: Chart | undefined): string[] {
  if (!chart) return [];
  let id = chart.id;
  for (let n = 2; sink.charts.some((c) => c.id === id); n++) id = `${chart.id}-${n}`;
  sink.charts.push({ ...chart, id });
  return [`![${chart.title.replace(/[[\]]/g, '')}](${sink.dir}/${id}.svg)`, '', chart.caption];
}
