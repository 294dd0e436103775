import { describe, expect, it } from 'vitest';
import type { BenchResult, FaultLogEntry } from '../../result.js';
import { benchmarkSchema } from '../../schema.js';
import type { HistoryEntry } from '../../workers/protocol.js';
import { fixtureDeclared } from '../report-fixture.js';
import { benchTargetChart } from './bench-targets.js';
import { COLOURS } from './echarts.js';
import { latencyCdfChart, latencyHistogramChart } from './latency.js';
import { chartSink } from './sink.js';
import { timelineChart } from './timeline.js';
import { trendSection } from './trend.js';

/** Every text the SVG draws, in order. */
const texts = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

/** The x of every vertical line drawn in this colour (marker lines; legend icons are horizontal). */
function verticals(svg: string, colour: string): { x: number; dashed: boolean }[] {
  return [...svg.matchAll(/<path d="M([\d.]+) ([\d.]+)L([\d.]+) ([\d.]+)"([^>]*)>/g)]
    .filter((m) => m[1] === m[3] && m[2] !== m[4] && m[5]!.includes(`stroke="${colour}"`))
    .map((m) => ({ x: Number(m[1]), dashed: m[5]!.includes('stroke-dasharray') }));
}

/** Where a value lies on a log x axis from 10^lo to 10^hi drawn between the grid's left and right (px). */
const logX = (value: number, lo: number, hi: number, left = 70, right = 790): number =>
  left + ((Math.log10(value) - lo) / (hi - lo)) * (right - left);

const at = (t: number, event: object): HistoryEntry => ({ ...event, t, worker: 'w' }) as HistoryEntry;

describe('timelineChart', () => {
  const steps = Array.from({ length: 60 }, (_, i) =>
    at(10_000 + i * 1000, { kind: 'step.finished', taskId: 't', step: 's', seq: i, id: i }),
  );
  const kills: FaultLogEntry[] = Array.from({ length: 20 }, (_, i) => ({
    t: 13_000 + i * 2500,
    fault: 'sigkill',
    target: `agentos-${i + 1}`,
    action: 'injected',
    detail: '',
  }));
  const skew: FaultLogEntry[] = [
    { t: 30_000, fault: 'clock-skew', target: 'holder', action: 'injected', detail: '+30 s' },
    { t: 50_000, fault: 'clock-skew', target: 'holder', action: 'healed', detail: '0 s' },
  ];

  it('draws one vertical line per fault, a colour per kind, dashed when healed, named with its targets in the legend', () => {
    const chart = timelineChart('langgraph-kill9', 'LangGraph kill -9', steps, [...kills, ...skew])!;
    expect(chart.id).toBe('timeline-langgraph-kill9');
    const killLines = verticals(chart.svg, COLOURS.vermillion);
    expect(killLines).toHaveLength(20);
    expect(killLines.every((l) => !l.dashed)).toBe(true);
    // Evenly spaced kills stay evenly spaced lines, apart from each other: no solid block.
    const xs = killLines.map((l) => l.x).sort((a, b) => a - b);
    const gaps = xs.slice(1).map((x, i) => x - xs[i]!);
    expect(Math.min(...gaps)).toBeGreaterThan(20);
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThan(1.5);
    expect(verticals(chart.svg, COLOURS.purple).map((l) => l.dashed)).toEqual([false, true]);
    expect(texts(chart.svg)).toEqual(
      expect.arrayContaining([
        'Progress and faults',
        'LangGraph kill -9',
        'task steps finished',
        'sigkill injected (20× on agentos-1 … agentos-20)',
        'clock-skew injected (on holder)',
        'clock-skew healed (on holder)',
        't (s) since the scenario started',
      ]),
    );
    // 22 markers: too many to label one by one; the legend names them.
    expect(texts(chart.svg).filter((t) => t.includes('→'))).toEqual([]);
  });

  it('labels each marker with its fault and target when there are few, and counts progress in events, not percent', () => {
    const chart = timelineChart('k', 'Kill', steps, [kills[0]!, skew[0]!])!;
    expect(texts(chart.svg)).toEqual(expect.arrayContaining(['sigkill → agentos-1', 'clock-skew → holder']));
    // 60 steps: the axis counts them (its top label at least 60), no % axis.
    const numbers = texts(chart.svg)
      .filter((t) => /^\d+$/.test(t))
      .map(Number);
    expect(Math.max(...numbers)).toBeGreaterThanOrEqual(60);
    expect(texts(chart.svg).some((t) => t.includes('%'))).toBe(false);
    expect(chart.caption).toContain(
      'Faults: sigkill on agentos-1 injected at 3000 ms; clock-skew on holder injected at 20000 ms.',
    );
  });

  it('gives each family of targets of one kind of fault its own colour and legend entry', () => {
    const sqlite = kills.map((f, i) => ({ ...f, t: f.t + 1000, target: `sqlite-${i + 1}` }));
    const chart = timelineChart('k', 'Two savers', steps, [...kills, ...sqlite])!;
    expect(verticals(chart.svg, COLOURS.vermillion)).toHaveLength(20);
    expect(verticals(chart.svg, COLOURS.purple)).toHaveLength(20);
    expect(texts(chart.svg)).toEqual(
      expect.arrayContaining([
        'sigkill injected (20× on agentos-1 … agentos-20)',
        'sigkill injected (20× on sqlite-1 … sqlite-20)',
      ]),
    );
  });

  it('draws nothing for a history without progress or faults', () => {
    expect(timelineChart('k', 'Quiet', [], [])).toBeUndefined();
  });
});

describe('latency charts', () => {
  const latencies = [0.02, 0.03, 0.05, 0.5, 4, 40, 90];
  const commits = latencies.map((latencyMs, i) =>
    at(1000 + i, { kind: 'checkpoint.committed', taskId: 't', seq: i + 1, id: i + 1, latencyMs }),
  );

  it('draws the CDF on a log axis with P50, P95, P99 and the target as vertical lines where they are', () => {
    const chart = latencyCdfChart('database-contention', 'Database contention', commits, [
      { percentile: 99, maxMs: 50 },
    ])!;
    expect(chart.id).toBe('latency-cdf-database-contention');
    const t = texts(chart.svg);
    // Decades from 0.01 to 100 ms: a log axis.
    expect(t).toEqual(expect.arrayContaining(['0.01', '0.1', '1', '10', '100']));
    expect(t).toEqual(expect.arrayContaining(['P50 0.5 ms', 'P95 90 ms', 'P99 90 ms', 'target P99 ≤ 50 ms']));
    const [target] = verticals(chart.svg, COLOURS.vermillion);
    expect(target!.x).toBeCloseTo(logX(50, -2, 2), 0);
    const percentiles = verticals(chart.svg, COLOURS.grey).map((l) => l.x);
    expect(percentiles[0]).toBeCloseTo(logX(0.5, -2, 2), 0);
    expect(chart.caption).toContain('the target (P99 ≤ 50 ms) in vermillion');
  });

  it('counts commits per 1-2-5 bin in the histogram', () => {
    const chart = latencyHistogramChart('database-contention', 'Database contention', commits)!;
    const t = texts(chart.svg);
    expect(t).toEqual(expect.arrayContaining(['0.02–0.05', '0.2–0.5', '2–5', '20–50', '50–100']));
    // Bar heights, bin by bin: 3 commits in 0.02–0.05, one each in 0.2–0.5, 2–5, 20–50 and 50–100, none elsewhere.
    const heights = [...chart.svg.matchAll(/<path d="M[\d.]+ [\d.]+l[\d.]+ 0l0 (-?[\d.]+)l[^"]*" fill="#3a87c8"/g)].map(
      (m) => Math.abs(Number(m[1])),
    );
    const unit = heights[0]! / 3;
    expect(heights.map((h) => Math.round(h / unit))).toEqual([3, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1]);
  });

  it('draws nothing without commits', () => {
    expect(latencyCdfChart('k', 'x', [])).toBeUndefined();
    expect(latencyHistogramChart('k', 'x', [])).toBeUndefined();
  });
});

describe('benchTargetChart', () => {
  const declared = fixtureDeclared[0]!;
  if (declared.category !== 'bench') throw new Error('the fixture declares a benchmark first');
  const summary = (p50: number) => ({ n: 100, mean: p50, p50, p95: p50, p99: p50, max: p50, insufficient: [] });
  const result = (normal: number, full: number): BenchResult => ({
    id: 'checkpoint-creation',
    title: 'Checkpoint creation latency',
    category: 'bench',
    seedTest: 'T::t',
    purpose: 'p',
    procedure: ['x'],
    seed: 1,
    survivors: [],
    durationMs: 1,
    criteria: [],
    measurements: [
      {
        variant: 'normal',
        subject: 's',
        durability: 'normal',
        peer: false,
        summary: summary(normal),
        opsPerSec: 1,
        samples: [],
      },
      {
        variant: 'full',
        subject: 's',
        durability: 'full',
        peer: false,
        summary: summary(full),
        opsPerSec: 1,
        samples: [],
      },
    ],
    options: { timeMs: 1, warmupMs: 1, iterations: 1 },
    workers: [],
    state: 'passed',
  });

  it('draws measured ms against each target in ms on a log axis: met green, missed vermillion, the target a tick at its value', () => {
    // Targets: normal P50 ≤ 0.06 ms (met at 0.0161), full P50 ≤ 0.5 ms (missed at 0.9).
    const chart = benchTargetChart(result(0.0161, 0.9), declared.benchmark)!;
    const t = texts(chart.svg);
    expect(t).toEqual(expect.arrayContaining(['normal P50', 'full P50', '0.0161 ms', '0.9 ms', '0.01', '0.1', '1']));
    expect(t).toEqual(expect.arrayContaining(['measured, target met', 'measured, target missed', 'target']));
    expect(chart.svg).toMatch(new RegExp(`fill="${COLOURS.green}"`));
    expect(chart.svg).toMatch(new RegExp(`fill="${COLOURS.vermillion}"`));
    expect(chart.caption).toContain('normal P50 0.0161 ms against ≤ 0.06 ms; full P50 0.9 ms against ≤ 0.5 ms');
    expect(t.some((s) => s.includes('÷'))).toBe(false);
  });

  it('draws a ratio target in ms, as its bound times the other variant’s measurement, on a row of its own', () => {
    const ratio = benchmarkSchema.parse({
      ...declared.benchmark,
      criteria: [
        ...declared.benchmark.criteria,
        {
          id: 'normal-vs-full',
          description: 'normal against full',
          seed: '—',
          ours: '≤ 0.1 × full',
          metric: { variant: 'normal', stat: 'p50', ratioTo: 'full', max: 0.1 },
        },
      ],
    });
    const chart = benchTargetChart(result(0.0161, 0.3), ratio)!;
    expect(texts(chart.svg)).toEqual(expect.arrayContaining(['normal P50', 'normal P50 vs full']));
    expect(chart.caption).toContain("normal P50 vs full 0.0161 ms against ≤ 0.1 × full's P50 = 0.03 ms");
  });
});

describe('trendSection', () => {
  it('draws a line per variant across commits on a log axis, with a gap where a commit lacks one', () => {
    const runs = ['aaa1111', 'bbb2222', 'ccc3333'].map((commit, i) => ({
      commit,
      generatedAt: `2026-01-0${i + 1}T00:00:00.000Z`,
      benchmarks: [
        { id: 'checkpoint-creation/normal', p50: 0.016 * (1 + i / 10) },
        ...(i === 1 ? [] : [{ id: 'checkpoint-creation/full', p50: 0.3 }]),
      ],
    }));
    const sink = chartSink('charts');
    const lines = trendSection(runs, sink);
    expect(lines).toContain('![checkpoint-creation: P50 per commit](charts/trend-checkpoint-creation.svg)');
    expect(lines).toContain('| checkpoint-creation/full | 0.3 ms | — | 0.3 ms |');
    const [chart] = sink.charts;
    const t = texts(chart!.svg);
    expect(t).toEqual(expect.arrayContaining(['aaa1111', 'bbb2222', 'ccc3333', 'normal', 'full', '0.01', '0.1', '1']));
    expect(trendSection(runs.slice(0, 1), chartSink('charts'))).toEqual([]);
  });
});
