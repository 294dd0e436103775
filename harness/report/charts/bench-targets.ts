import type { BenchResult } from '../../result.js';
import type { ResolvedBenchmark } from '../../schema.js';
import { caption, chartNumber, xychart, type Series } from './mermaid.js';

interface TargetBar {
  label: string;
  /** Measured ÷ bound: 1.0 is the target itself, above it a miss. */
  ratio: number;
}

/** Each of the benchmark's targets with a numeric bound, measured ÷ bound. */
function targetBars(result: BenchResult, benchmark: ResolvedBenchmark): TargetBar[] {
  const stat = (variant: string, name: 'mean' | 'p50' | 'p95' | 'p99' | 'max'): number | null =>
    result.measurements.find((m) => m.variant === variant)?.summary[name] ?? null;
  return benchmark.criteria.flatMap((c) => {
    if (c.kind !== 'target') return [];
    const value = stat(c.metric.variant, c.metric.stat);
    const name = c.metric.stat.toUpperCase();
    if (value === null) return [];
    if ('maxMs' in c.metric) return [{ label: `${c.metric.variant} ${name}`, ratio: value / c.metric.maxMs }];
    const other = stat(c.metric.ratioTo, c.metric.stat);
    return other
      ? [{ label: `${c.metric.variant} ÷ ${c.metric.ratioTo} ${name}`, ratio: value / other / c.metric.max }]
      : [];
  });
}

/**
 * Every variant against its target, as measured ÷ target so that 0.02 ms and 0.3 ms targets share one scale and a
 * missed target stands past the line at 1.0. Empty when the benchmark declares no target.
 */
export function benchTargetChart(result: BenchResult, benchmark: ResolvedBenchmark): string[] {
  const bars = targetBars(result, benchmark);
  if (bars.length === 0) return [];
  const series: Series[] = [
    { type: 'bar', label: 'measured ÷ target', values: bars.map((b) => b.ratio) },
    { type: 'line', label: 'the target (1.0)', values: bars.map(() => 1) },
  ];
  const top = Math.max(1.25, ...bars.map((b) => b.ratio * 1.1));
  return [
    ...xychart({
      title: `${result.title}: measured ÷ target`,
      horizontal: true,
      padEnds: true,
      x: { labels: bars.map((b) => b.label) },
      y: { title: 'measured ÷ target', min: 0, max: top },
      series,
    }),
    '',
    `Our targets for this benchmark, each as measured ÷ target (${bars.map((b) => `${b.label} ${chartNumber(b.ratio)}`).join(', ')}). ` +
      `${caption(series)} A bar past the line missed its target. The seed's bounds lie far beyond every bar; they are in the criteria table.`,
  ];
}
