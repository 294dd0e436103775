/**
 * Mermaid xychart-beta blocks with a fixed palette (Okabe–Ito, readable for colour-blind readers and on light and
 * dark backgrounds), so a caption can name each series' colour and the theme cannot change it.
 */
export const PALETTE = [
  { name: 'blue', hex: '#0072B2' },
  { name: 'vermillion', hex: '#D55E00' },
  { name: 'green', hex: '#009E73' },
  { name: 'orange', hex: '#E69F00' },
  { name: 'purple', hex: '#CC79A7' },
  { name: 'sky blue', hex: '#56B4E9' },
  { name: 'grey', hex: '#999999' },
] as const;

export interface Series {
  type: 'bar' | 'line';
  /** What the series shows, for the caption ("P50 ÷ target"). */
  label: string;
  values: number[];
}

export interface XyChart {
  title: string;
  /** Categories along the x axis, or a numeric range with its title. */
  x: { labels: string[] } | { title: string; min: number; max: number };
  y: { title: string; min: number; max: number };
  /** Bars drawn left to right (horizontal: top to bottom) with their labels beside the axis. */
  horizontal?: boolean;
  series: Series[];
  /**
   * Adds an unlabelled category at each end, where bars are 0 and lines keep their end values: a reference line
   * (a target, 1.0) then spans every bar, and is drawn at all when there is only one (a line needs two points).
   */
  padEnds?: boolean;
}

/** A number short enough for a chart, exact enough to read: four significant digits. */
export function chartNumber(value: number): string {
  if (!Number.isFinite(value)) return '0';
  return Number(value.toPrecision(4)).toString();
}

/** Mermaid quotes a label with double quotes and has no escape for them. */
function label(text: string): string {
  return `"${text.replace(/"/g, "'")}"`;
}

/** The colour each series is drawn in: series take the palette's colours in order. */
export function seriesColours(series: readonly Series[]): string[] {
  return series.map((_, i) => {
    const c = PALETTE[i % PALETTE.length]!;
    return `${c.name} (${c.hex})`;
  });
}

/** "Bars, blue (#0072B2): P50 ÷ target; line, vermillion (#D55E00): the target (1.0)." */
export function caption(series: readonly Series[]): string {
  const colours = seriesColours(series);
  return `${series.map((s, i) => `${s.type === 'bar' ? 'bars' : 'line'}, ${colours[i]}: ${s.label}`).join('; ')}.`;
}

/** The chart as the lines of a ```mermaid block, palette set in its front matter. */
export function xychart(input: XyChart): string[] {
  const chart = input.padEnds && 'labels' in input.x ? padded(input) : input;
  const palette = chart.series.map((_, i) => PALETTE[i % PALETTE.length]!.hex).join(', ');
  const x =
    'labels' in chart.x
      ? `[${chart.x.labels.map(label).join(', ')}]`
      : `${label(chart.x.title)} ${chartNumber(chart.x.min)} --> ${chartNumber(chart.x.max)}`;
  return [
    '```mermaid',
    '---',
    'config:',
    '  themeVariables:',
    '    xyChart:',
    `      plotColorPalette: "${palette}"`,
    '---',
    `xychart-beta${chart.horizontal ? ' horizontal' : ''}`,
    `  title ${label(chart.title)}`,
    `  x-axis ${x}`,
    `  y-axis ${label(chart.y.title)} ${chartNumber(chart.y.min)} --> ${chartNumber(chart.y.max)}`,
    ...chart.series.map((s) => `  ${s.type} [${s.values.map(chartNumber).join(', ')}]`),
    '```',
  ];
}

function padded(chart: XyChart): XyChart {
  const labels = 'labels' in chart.x ? chart.x.labels : [];
  return {
    ...chart,
    // Mermaid refuses an empty label and trims blanks (two would merge): zero-width spaces, one and two.
    x: { labels: ['\u200b', ...labels, '\u200b\u200b'] },
    series: chart.series.map((s) =>
      s.type === 'bar'
        ? { ...s, values: [0, ...s.values, 0] }
        : { ...s, values: [s.values[0] ?? 0, ...s.values, s.values.at(-1) ?? 0] },
    ),
  };
}
