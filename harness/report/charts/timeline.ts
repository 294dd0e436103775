import type { FaultLogEntry } from '../../result.js';
import type { HistoryEntry } from '../../workers/protocol.js';
import { faultTimes } from '../fault-summary.js';
import { caption, xychart, type Series } from './mermaid.js';

/** Events that mark a workload's progress, how the caption names them, and how much each one counts. */
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

const MAX_LINES = 3;
const BINS = 30;

/** When the scenario started: its first recorded event or fault-log entry (wall clock, ms). */
export function scenarioStart(history: readonly HistoryEntry[], faults: readonly FaultLogEntry[]): number | undefined {
  const times = [...history.map((e) => e.t), ...faults.map((f) => f.t)];
  return times.length > 0 ? Math.min(...times) : undefined;
}

/**
 * A chaos scenario's timeline: the workload's progress (up to three kinds of event, each as a share of its final
 * count so that 100 acquisitions and one sweep share an axis) against the moments faults were injected and healed.
 * Empty when the history shows neither progress nor a fault.
 */
export function timelineChart(
  title: string,
  history: readonly HistoryEntry[],
  faults: readonly FaultLogEntry[],
): string[] {
  const start = scenarioStart(history, faults);
  if (start === undefined) return [];
  const kinds = PROGRESS.filter((p) => history.some((e) => e.kind === p.kind && p.weight(e) > 0)).slice(0, MAX_LINES);
  const acted = faults.filter((f) => f.action !== 'armed');
  if (kinds.length === 0 && acted.length === 0) return [];
  const end = Math.max(1, ...history.map((e) => e.t - start), ...faults.map((f) => f.t - start));
  const width = end / BINS;
  const binOf = (t: number): number => Math.min(BINS - 1, Math.floor((t - start) / width));
  const totals = kinds.map((p) => history.filter((e) => e.kind === p.kind).reduce((sum, e) => sum + p.weight(e), 0));
  const lines: Series[] = kinds.map((p, k) => {
    const perBin = new Array<number>(BINS).fill(0);
    for (const e of history) if (e.kind === p.kind) perBin[binOf(e.t)]! += p.weight(e);
    let running = 0;
    return {
      type: 'line',
      label: `${p.name} (% of ${totals[k]})`,
      values: perBin.map((n) => (100 * (running += n)) / totals[k]!),
    };
  });
  const marks = (action: FaultLogEntry['action'], height: number): number[] => {
    const bins = new Set(acted.filter((f) => f.action === action).map((f) => binOf(f.t)));
    return Array.from({ length: BINS }, (_, i) => (bins.has(i) ? height : 0));
  };
  const bars: Series[] = [
    { type: 'bar', label: 'a fault injected in that interval', values: marks('injected', 100) },
    ...(acted.some((f) => f.action === 'healed')
      ? [{ type: 'bar' as const, label: 'a fault healed in that interval (half height)', values: marks('healed', 50) }]
      : []),
  ];
  const series = [...bars, ...lines];
  const when = faultTimes(acted, start);
  return [
    ...xychart({
      title: `${title}: progress and faults`,
      x: { title: 't (ms) since the scenario started', min: 0, max: Math.ceil(end) },
      y: { title: '% of final count', min: 0, max: 100 },
      series,
    }),
    '',
    `The workload's progress over time, each kind as a share of its final count, in ${BINS} intervals of ${width.toFixed(0)} ms. ${caption(series)}` +
      (when ? ` Faults: ${when}.` : ''),
  ];
}
