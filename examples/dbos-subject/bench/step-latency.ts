// One step of a task, timed on the same server: a DBOS workflow step against a step of this layer's TaskRunner.
// Usage: tsx bench/step-latency.ts <dbos|agentos> [--pg-url <url>]; each variant in a process of its own.
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { dbosTaskStep, layerTaskStep } from './task-step.js';

const VARIANTS = { dbos: dbosTaskStep, agentos: layerTaskStep };
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'pg-url': { type: 'string', default: 'postgresql://postgres@127.0.0.1:5432/postgres' } },
});
const variant = positionals[0];
if (variant !== 'dbos' && variant !== 'agentos') {
  console.error(`step-latency: name a variant: ${Object.keys(VARIANTS).join(' or ')} (got ${variant ?? 'none'})`);
  process.exit(2);
}

/** Nearest-rank percentile, as the harness's reports: the sample at index ⌈q·n⌉−1 of the sorted samples. */
function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

const operation = await VARIANTS[variant]({ pgUrl: values['pg-url'], schema: `bench_step_${variant}_${process.pid}` });
try {
  const bench = new Bench({ time: 1500, warmupTime: 300, retainSamples: true, throws: true });
  bench.add(variant, operation.run);
  await bench.run();
  const result = bench.tasks[0]?.result;
  const samples = result && 'latency' in result ? [...(result.latency.samples ?? [])].sort((a, b) => a - b) : [];
  if (samples.length === 0) throw new Error(`tinybench returned no samples for ${variant}`);
  const ms = (x: number): string => `${x.toFixed(2)} ms`;
  console.log(
    `${variant} task step: P50 ${ms(percentile(samples, 0.5))}, P99 ${ms(percentile(samples, 0.99))} (${samples.length} samples)`,
  );
} finally {
  await operation.teardown();
}
