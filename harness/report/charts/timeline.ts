import type { FaultLogEntry } from '../../result.js';
import type { HistoryEntry } from '../../workers/protocol.js';
import { family, faultTimes, groupBy, targetSpan } from '../fault-summary.js';
import {
  COLOURS,
  INK_COLOUR,
  axisStyle,
  chartId,
  legendRows,
  legendStyle,
  renderSvg,
  titleBlock,
  type Chart,
  type LineSeriesOption,
} from './echarts.js';

/** Events that mark a workload's progress, how the chart names them, and how much each one counts. */
const PROGRESS: { kind: HistoryEntry['kind']; name: string; weight: (e: HistoryEntry) => number }[] = [
  { kind: 'checkpoint.committed', name: 'checkpoints committed', weight: () => 1 },
  { kind: 'step.finished', name: 'task steps finished', weight: () => 1 },
  { kind: 'lease.acquired', name: 'leases acquired', weight: () => 1 },
  {
    kind: 'tool.batch',
    name: 'tool calls handed to the ledger',
    weight: (e) => (e.kind === 'tool.batch' ? e.calls : 0),
  },
  {
    kind: 'sweep.finished',
    name: 'leases recovered by sweeps',
    weight: (e) => (e.kind === 'sweep.finished' ? e.recovered : 0),
  },
  { kind: 'command.done', name: 'commands handled', weight: () => 1 },
];

/** Two kinds of progress at most: one on the left axis, one on the right, each in its own counts. */
const MAX_PROGRESS = 2;
/** Points of a progress line at most: a long run's thousands of events are thinned to this many. */
const MAX_POINTS = 400;
/** Each marker line is labelled with its fault and target when there are at most this many; else the legend names them. */
const LABELLED_MARKERS = 6;
const PROGRESS_COLOURS: readonly string[] = [COLOURS.blue, COLOURS.green];
const FAULT_COLOURS = [COLOURS.vermillion, COLOURS.purple, COLOURS.orange, COLOURS.sky, COLOURS.grey];

/** When the scenario started: its first recorded event or fault-log entry (wall clock, ms). */
export function scenarioStart(history: readonly HistoryEntry[], faults: readonly FaultLogEntry[]): number | undefined {
  const times = [...history.map((e) => e.t), ...faults.map((f) => f.t)];
  return times.length > 0 ? Math.min(...times) : undefined;
}

/** The running total of one kind of event as [seconds, count] points, thinned to MAX_POINTS. */
function runningTotal(history: readonly HistoryEntry[], p: (typeof PROGRESS)[number], start: number): number[][] {
  const points: number[][] = [[0, 0]];
  let total = 0;
  for (const e of history) {
    if (e.kind !== p.kind) continue;
    total += p.weight(e);
    points.push([(e.t - start) / 1000, total]);
  }
  const step = Math.ceil(points.length / MAX_POINTS);
  return points.filter((_, i) => i % step === 0 || i === points.length - 1);
}

/**
 * A chaos scenario's timeline: the workload's progress in counts (up to two kinds of event, one per axis) against time,
 * with each fault injected (solid) or healed (dashed) as a vertical line, one colour per kind of fault, named in the
 * legend with its targets. Undefined when the history shows neither progress nor a fault.
 */
export function timelineChart(
  key: string,
  title: string,
  history: readonly HistoryEntry[],
  faults: readonly FaultLogEntry[],
): Chart | undefined {
  const start = scenarioStart(history, faults);
  if (start === undefined) return undefined;
  const kinds = PROGRESS.filter((p) => history.some((e) => e.kind === p.kind && p.weight(e) > 0)).slice(
    0,
    MAX_PROGRESS,
  );
  const acted = faults.filter((f) => f.action !== 'armed');
  if (kinds.length === 0 && acted.length === 0) return undefined;

  const progress: LineSeriesOption[] = kinds.map((p, i) => ({
    type: 'line',
    name: p.name,
    yAxisIndex: i,
    step: 'end',
    showSymbol: false,
    lineStyle: { width: 2, color: PROGRESS_COLOURS[i]! },
    itemStyle: { color: PROGRESS_COLOURS[i]! },
    data: runningTotal(history, p, start),
  }));
  // A colour per kind of fault and family of targets (sigkill on agentos-1 … agentos-20 is one, on sqlite-1 … another).
  const kindOf = (f: FaultLogEntry): string => `${f.fault} ${family(f.target)}`;
  const faultKinds = [...new Set(acted.map(kindOf))];
  const labelled = acted.length <= LABELLED_MARKERS;
  // One legend entry per kind, family and action; the series draws no data, only its marker lines.
  const markers: LineSeriesOption[] = groupBy(acted, (f) => `${kindOf(f)} ${f.action}`).map((group) => {
    const { fault, action } = group[0]!;
    const colour = FAULT_COLOURS[faultKinds.indexOf(kindOf(group[0]!)) % FAULT_COLOURS.length]!;
    return {
      type: 'line',
      name: `${fault} ${action} (${group.length > 1 ? `${group.length}× ` : ''}on ${targetSpan(group.map((f) => f.target))})`,
      data: [],
      yAxisIndex: 0,
      lineStyle: { color: colour, type: action === 'healed' ? 'dashed' : 'solid' },
      itemStyle: { color: colour },
      markLine: {
        silent: true,
        symbol: 'none',
        lineStyle: { color: colour, width: 1.5, type: action === 'healed' ? 'dashed' : 'solid' },
        label: labelled ? { show: true, position: 'insideEndTop', color: INK_COLOUR, fontSize: 11 } : { show: false },
        data: group.map((f) => ({
          xAxis: (f.t - start) / 1000,
          name: `${fault} → ${f.target}`,
          label: { formatter: `${fault} → ${f.target}` },
        })),
      },
    };
  });
  const series = [...progress, ...markers];
  const names = series.map((s) => String(s.name));
  const head = titleBlock('Progress and faults', title);
  const legend = legendRows(names);
  const end = Math.max(...history.map((e) => e.t - start), ...faults.map((f) => f.t - start), 1) / 1000;
  const height = 360 + head.height + legend * 22;
  const svg = renderSvg(
    {
      title: head.title,
      legend: { ...legendStyle, bottom: 8, left: 20, right: 20, data: names },
      grid: { top: head.height + 34, left: 70, right: kinds.length > 1 ? 70 : 30, bottom: 56 + legend * 22 },
      xAxis: {
        type: 'value',
        name: 't (s) since the scenario started',
        nameLocation: 'middle',
        nameGap: 28,
        min: 0,
        max: Number((end * 1.02).toPrecision(3)),
        ...axisStyle,
        // The end is the run's, not a round number: unlabelled, so it never crowds the tick before it.
        axisLabel: { ...axisStyle.axisLabel, showMaxLabel: false },
        splitLine: { show: false },
      },
      yAxis: (kinds.length > 0 ? kinds : [{ name: 'no progress recorded' }]).map((p, i) => ({
        type: 'value',
        name: p.name,
        // Names start at their axis and run inwards, never off the chart's edge.
        nameTextStyle: {
          ...axisStyle.nameTextStyle,
          align: i === 0 ? 'left' : 'right',
          ...(kinds.length > 1 ? { color: PROGRESS_COLOURS[i]! } : {}),
        },
        position: i === 0 ? 'left' : 'right',
        minInterval: 1,
        axisLabel: axisStyle.axisLabel,
        axisLine: { show: true, lineStyle: { color: kinds.length > 1 ? PROGRESS_COLOURS[i]! : '#59636e' } },
        splitLine: i === 0 ? axisStyle.splitLine : { show: false },
      })),
      series,
    },
    height,
  );
  const when = faultTimes(acted, start);
  return {
    id: chartId('timeline', key),
    title: `${title}: progress and faults`,
    svg,
    caption:
      `The workload's progress against time (running totals${kinds.length > 1 ? ', one per axis' : ''}); each vertical line is a fault, ` +
      `solid when injected and dashed when healed, one colour per kind of fault and family of targets (legend).` +
      (when ? ` Faults: ${when}.` : ''),
  };
}
