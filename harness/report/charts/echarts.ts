import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { runInThisContext } from 'node:vm';
import type * as ECharts from 'echarts/types/dist/echarts';

// ECharts' type entry points re-export without file extensions, which NodeNext cannot follow; its rolled-up types are
// complete, and its CommonJS build is the same code as the ESM one.
let library: typeof ECharts | undefined;

/**
 * ECharts, loaded when the first chart is drawn: `--help`, bad input and the run itself never hold it. Its CommonJS
 * build is one self-contained file, compiled here directly: through a TypeScript loader's require hook (the harness
 * runs under tsx) the same file cost 53 MB of RSS instead of 21 MB.
 */
function echarts(): typeof ECharts {
  if (library) return library;
  const path = createRequire(import.meta.url).resolve('echarts');
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${readFileSync(path, 'utf8')}\n})`;
  const module = { exports: {} as typeof ECharts };
  (runInThisContext(wrapped, { filename: path }) as (...args: unknown[]) => void)(
    module.exports,
    createRequire(path),
    module,
    path,
    dirname(path),
  );
  library = module.exports;
  library.setPlatformAPI({ measureText: (text, font) => ({ width: textWidth(text, font) }) });
  return library;
}

/**
 * Without a canvas ECharts guesses text widths too narrow, and legend entries and labels overlap. This estimate is for
 * a wide sans-serif (DejaVu Sans, what Chromium on Linux draws; Helvetica and Arial are narrower, so it errs roomy).
 */
function textWidth(text: string, font: string | undefined): number {
  const size = Number(/(\d+(?:\.\d+)?)px/.exec(font ?? '')?.[1] ?? 12);
  const bold = /bold|[6-9]00/.test(font ?? '');
  let em = 0;
  for (const ch of text) {
    if (/[ilj.,:;'|!()[\]]/.test(ch)) em += 0.3;
    else if (ch === ' ' || /[ftr]/.test(ch)) em += 0.38;
    else if (/[mwMW…—]/.test(ch)) em += 0.92;
    else if (/[A-Z]/.test(ch)) em += 0.7;
    else em += 0.62;
  }
  return em * size * (bold ? 1.1 : 1);
}

export type ChartOption = ECharts.EChartsOption;
export type LineSeriesOption = ECharts.LineSeriesOption;
export type ItemRenderer = ECharts.CustomSeriesRenderItem;

/** A chart of the report: an SVG file of its own (reports/charts/<id>.svg), linked from the Markdown with its caption. */
export interface Chart {
  /** File name without .svg: letters, digits and dashes. */
  id: string;
  /** What the chart shows, for the image's alt text and the HTML's figure. */
  title: string;
  svg: string;
  /** The sentence under the chart: what is drawn, in which colour, and how to read it. */
  caption: string;
}

/**
 * Colours on a transparent background: series in mid tones (Okabe–Ito, readable for colour-blind readers) that read
 * on white and on GitHub's dark background; text and grid in greys that an embedded style lightens in dark mode.
 */
export const COLOURS = {
  blue: '#3a87c8',
  vermillion: '#d55e00',
  green: '#009e73',
  orange: '#e69f00',
  purple: '#cc79a7',
  sky: '#56b4e9',
  grey: '#8c959f',
} as const;
export const SERIES_COLOURS = [COLOURS.blue, COLOURS.orange, COLOURS.green, COLOURS.purple, COLOURS.sky];

const INK = '#3d444d';
const MUTED = '#59636e';
const GRID = '#d1d9e0';
/** In dark mode, text and grid lines get GitHub's dark greys (matched by the colours the light ones were drawn in). */
const DARK_STYLE =
  `<style>@media (prefers-color-scheme: dark) {` +
  ` [fill="${INK}"] { fill: #d1d7e0 } [fill="${MUTED}"] { fill: #9198a1 } [stroke="${GRID}"] { stroke: #3d444d }` +
  ` [stroke="${INK}"] { stroke: #d1d7e0 } }</style>`;

export const WIDTH = 820;

/** Title and subtitle that wrap within the chart rather than run off it; `lines` is how many lines they take. */
export function titleBlock(text: string, subtext?: string): { title: ECharts.TitleComponentOption; height: number } {
  const wrap = WIDTH - 40;
  // 14 px bold ≈ 8 px a character, 12 px ≈ 6.6: an estimate to leave room for wrapped lines, never a cut.
  const lines = (s: string, px: number): number => Math.max(1, Math.ceil((s.length * px) / wrap));
  const titleLines = lines(text, 8.2);
  const subLines = subtext ? lines(subtext, 6.8) : 0;
  return {
    title: {
      text,
      ...(subtext ? { subtext } : {}),
      left: 20,
      top: 8,
      textStyle: { fontSize: 14, color: INK, width: wrap, overflow: 'break' },
      subtextStyle: { fontSize: 12, color: MUTED, width: wrap, overflow: 'break' },
    },
    height: 16 + titleLines * 19 + subLines * 16 + (subtext ? 6 : 0),
  };
}

/** Rows a horizontal legend of these names takes at the chart's width (an estimate, 7 px a character). */
export function legendRows(names: readonly string[]): number {
  let rows = 1;
  let used = 0;
  for (const name of names) {
    const w = 25 + name.length * 7 + 10;
    if (used + w > WIDTH - 40 && used > 0) {
      rows++;
      used = 0;
    }
    used += w;
  }
  return rows;
}

export const axisStyle = {
  nameTextStyle: { color: INK, fontSize: 12 },
  axisLabel: { color: INK, fontSize: 11 },
  axisLine: { lineStyle: { color: MUTED } },
  axisTick: { lineStyle: { color: MUTED } },
  splitLine: { lineStyle: { color: GRID } },
};

/** A vertical axis' name, starting above the axis and running inwards (centred, a long name runs off the chart). */
export const yNameStyle = { ...axisStyle.nameTextStyle, align: 'left' as const };

export const legendStyle = { textStyle: { color: INK, fontSize: 12 }, itemGap: 10 };

/** Text drawn on the plot (labels of marker lines) in the ink colour, so it follows the theme. */
export const INK_COLOUR = INK;

/** The option rendered by ECharts' server-side SVG renderer: no DOM, no network, no animation. */
export function renderSvg(option: ChartOption, height: number): string {
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: 'transparent',
      textStyle: { fontFamily: 'sans-serif' },
      ...option,
    });
    return chart.renderToSVGString().replace(/(<svg[^>]*>)/, `$1${DARK_STYLE}`);
  } finally {
    chart.dispose();
  }
}

/**
 * Loads the chart library and draws one empty chart, so that a peak taken before the reports are written (the
 * harness's memory in the report) includes what drawing them costs.
 */
export function warmChartRenderer(): void {
  renderSvg({}, 100);
}

/** A short number for a label: four significant digits. */
export function chartNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number(value.toPrecision(4)).toString();
}

/** A file name from a test's key: "langgraph-kill9/agentos-sqlite" → "langgraph-kill9-agentos-sqlite". */
export function chartId(...parts: string[]): string {
  return parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
