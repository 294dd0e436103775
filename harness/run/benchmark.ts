import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { History } from '../history.js';
import { LatencyRecorder, type LatencySummary } from '../recorder.js';
import type { BenchMeasurement, BenchResult, CriterionResult } from '../result.js';
import type { BenchCriterion, ResolvedBenchmark } from '../schema.js';
import { PG_BENCH_SUBJECTS, isSliceable, subjectFixture } from '../bench/subjects.js';
import { Supervisor } from '../workers/supervisor.js';
import { BenchVariant, type Variant, type VariantSetup } from './bench-variant.js';
import { verdict } from './judge.js';
import { persistHistory } from './persist.js';

const KEPT_SAMPLES = 2000;

export interface BenchRunOptions {
  seed: number;
  onProgress?: (message: string) => void;
  /** Where the history is written (default reports/runs). */
  runsDir?: string;
  /** Aborting stops after the variant being timed (Ctrl-C). */
  signal?: AbortSignal;
  /** The run's PostgreSQL server, when it has one (url undefined: the PG* variables); without it, a benchmark with a PostgreSQL variant is not applicable. */
  postgres?: { url: string | undefined };
}

/** Slices each interleaved variant is timed in: a round of all variants stays well under the drift's seconds. */
export const SLICES = 10;
/** Workers preparing at once (loading data) before the slices: as many as the machine's two cores. */
const PREPARING_AT_ONCE = 2;

/**
 * Runs each variant of a benchmark in its own worker process and judges the criteria. The variants that can idle are
 * prepared side by side, then timed in alternating slices (round-robin, one at a time), so that every one is measured
 * across the same stretch of wall time and a drifting load from neighbours cancels out of their ratios; the others
 * (and all of them with `interleave: false`) are timed afterwards, alone, one after another.
 */
export async function runBenchmark(benchmark: ResolvedBenchmark, options: BenchRunOptions): Promise<BenchResult> {
  const started = performance.now();
  const needsServer = benchmark.variants.some((v) => PG_BENCH_SUBJECTS.has(v.subject));
  if (needsServer && !options.postgres) return notApplicable(benchmark, options.seed, NEEDS_SERVER);
  const runDir = mkdtempSync(join(tmpdir(), `agentos-bench-${benchmark.id}-`));
  const supervisor = new Supervisor();
  const history = new History();
  const setup: VariantSetup = { benchmark, supervisor, history, runDir, postgres: options.postgres };
  const samples = new Map<string, number[]>();
  const reasons: string[] = [];
  const { interleaved, alone } = schedule(benchmark);
  const runs: BenchVariant[] = [];
  try {
    if (interleaved.length > 0) await runInterleaved(setup, interleaved, options, samples, reasons, runs);
    for (const variant of alone) {
      if (options.signal?.aborted) {
        if (!reasons.includes('interrupted')) reasons.push('interrupted');
        break;
      }
      options.onProgress?.(`timing ${variant.subject} (${variant.durability}) alone for ${benchmark.timeMs} ms`);
      const run = new BenchVariant(setup, variant, 1);
      runs.push(run);
      await run.exit();
      const got = run.finish(reasons);
      if (got) samples.set(variant.name, got);
    }
  } finally {
    await supervisor.reapAll();
    // Only now: a variant's schema may hold a fixture that variants after it read (bench/fixtures.ts).
    for (const run of runs) await run.dropSchema(reasons);
    rmSync(runDir, { recursive: true, force: true });
  }
  const survivors = supervisor.survivors();
  if (survivors.length > 0) reasons.push(`child processes survived: ${survivors.join(', ')}`);
  // In declaration order, whichever way each variant was timed.
  const measurements = benchmark.variants.flatMap((v) => {
    const got = samples.get(v.name);
    return got ? [measure(v, got)] : [];
  });
  const criteria = benchmark.criteria.map((c) => judge(c, measurements));
  persistHistory(benchmark.id, history, options.runsDir);
  return {
    id: benchmark.id,
    title: benchmark.title,
    category: 'bench' as const,
    measurements,
    seedTest: benchmark.seedTest,
    purpose: benchmark.purpose,
    procedure: [...benchmark.procedure, scheduleNote(benchmark, interleaved, alone)],
    seed: options.seed,
    durationMs: performance.now() - started,
    criteria,
    options: { timeMs: benchmark.timeMs, warmupMs: benchmark.warmupMs, iterations: benchmark.iterations },
    workers: supervisor.all.map((w) => ({
      id: w.id,
      group: w.group,
      pid: w.pid,
      exitCode: null,
      signal: null,
      peakRssKb: w.peakRssKb,
    })),
    survivors,
    ...verdict(criteria, reasons),
  };
}

/** The variants to interleave (two or more that can idle between slices) and those timed alone after them. */
export function schedule(benchmark: ResolvedBenchmark): { interleaved: Variant[]; alone: Variant[] } {
  const sliceable = benchmark.interleave ? benchmark.variants.filter((v) => isSliceable(v.subject)) : [];
  if (sliceable.length < 2) return { interleaved: [], alone: benchmark.variants };
  return { interleaved: sliceable, alone: benchmark.variants.filter((v) => !sliceable.includes(v)) };
}

/** The report's line saying how the variants were timed. */
function scheduleNote(benchmark: ResolvedBenchmark, interleaved: Variant[], alone: Variant[]): string {
  if (interleaved.length === 0)
    return `Each variant timed alone, one after another (${benchmark.interleave ? 'fewer than two can idle between slices' : 'interleave: false'}).`;
  const names = (vs: Variant[]) => vs.map((v) => v.name).join(', ');
  const together = `Interleaved: ${names(interleaved)}, each in its own process, prepared side by side, then timed in ${SLICES} slices of ${Math.round(benchmark.timeMs / SLICES)} ms taken in turn (one variant at a time), so that all are measured over the same stretch of time.`;
  if (alone.length === 0) return together;
  return `${together} Timed alone afterwards, one after another (they work on between samples, so cannot idle between slices): ${names(alone)}.`;
}

/** Prepares the variants side by side, times them in SLICES round-robin slices, then stops them for their samples. */
async function runInterleaved(
  setup: VariantSetup,
  variants: Variant[],
  options: BenchRunOptions,
  samples: Map<string, number[]>,
  reasons: string[],
  /** Every variant started, for the caller to drop their schemas at the end. */
  runs: BenchVariant[],
): Promise<void> {
  const { benchmark } = setup;
  options.onProgress?.(`preparing ${variants.length} variants to time in turns`);
  const ready = new Set<BenchVariant>();
  const prepare = (waiting: Variant[]) =>
    Promise.all(
      Array.from({ length: PREPARING_AT_ONCE }, async () => {
        for (let v = waiting.shift(); v; v = waiting.shift()) {
          const run = new BenchVariant(setup, v, SLICES);
          runs.push(run);
          if (await run.next('bench.prepared')) ready.add(run);
        }
      }),
    );
  // The first variant of each fixture makes it; the others, prepared after, only copy it (see bench/fixtures.ts).
  const { makers, copiers } = byFixture(variants);
  await prepare(makers);
  await prepare(copiers);
  // Round-robin in declaration order; a variant whose worker fails or times out leaves the rotation.
  const rotation = variants.flatMap((v) => runs.filter((r) => r.variant === v && ready.has(r)));
  for (let slice = 1; slice <= SLICES && rotation.length > 0; slice++) {
    if (options.signal?.aborted) {
      reasons.push('interrupted');
      break;
    }
    options.onProgress?.(
      `round ${slice}/${SLICES}: timing ${rotation.length} variants in turn, ${Math.round(benchmark.timeMs / SLICES)} ms each`,
    );
    for (const run of [...rotation]) {
      run.send({ cmd: 'go' });
      if (!(await run.next('bench.slice'))) rotation.splice(rotation.indexOf(run), 1);
    }
  }
  // Interrupted too: each worker reports the slices it has timed.
  for (const run of rotation) run.send({ cmd: 'stop' });
  await Promise.all(runs.map((run) => run.exit()));
  for (const run of runs) {
    const got = run.finish(reasons);
    if (got) samples.set(run.name, got);
  }
}

/** The variants that make their fixture (or have none), then those that copy a fixture another one made. */
function byFixture(variants: Variant[]): { makers: Variant[]; copiers: Variant[] } {
  const made = new Set<string>();
  const makers: Variant[] = [];
  const copiers: Variant[] = [];
  for (const v of variants) {
    const fixture = subjectFixture(v.subject);
    const key = `${fixture}-${v.durability}`;
    if (fixture === undefined || !made.has(key)) makers.push(v);
    else copiers.push(v);
    if (fixture !== undefined) made.add(key);
  }
  return { makers, copiers };
}

const NEEDS_SERVER = 'it times PostgreSQL: run with a postgres subject (--subject agentos-postgres)';

function notApplicable(benchmark: ResolvedBenchmark, seed: number, reason: string): BenchResult {
  return {
    id: benchmark.id,
    title: benchmark.title,
    category: 'bench',
    measurements: [],
    seedTest: benchmark.seedTest,
    purpose: benchmark.purpose,
    procedure: benchmark.procedure,
    seed,
    durationMs: 0,
    criteria: [],
    options: { timeMs: benchmark.timeMs, warmupMs: benchmark.warmupMs, iterations: benchmark.iterations },
    workers: [],
    survivors: [],
    state: 'not-applicable',
    reason,
  };
}

function measure(variant: Variant, samples: number[]): BenchMeasurement {
  const recorder = new LatencyRecorder();
  for (const s of samples) recorder.record(s);
  const summary = recorder.summary();
  const step = Math.max(1, Math.ceil(samples.length / KEPT_SAMPLES));
  return {
    variant: variant.name,
    subject: variant.subject,
    durability: variant.durability,
    peer: variant.peer,
    summary,
    opsPerSec: summary.mean ? 1000 / summary.mean : 0,
    samples: samples.filter((_, i) => i % step === 0),
  };
}

function stat(summary: LatencySummary, name: 'mean' | 'p50' | 'p95' | 'p99' | 'max'): number | null {
  return summary[name];
}

/** A criterion against the measured variants; a missing variant or statistic is 'unknown'. */
function judge(c: BenchCriterion, measurements: BenchMeasurement[]): CriterionResult {
  const head = { id: c.id, kind: c.kind, description: c.description, seed: c.seed, ours: c.ours };
  const m = measurements.find((x) => x.variant === c.metric.variant);
  const value = m ? stat(m.summary, c.metric.stat) : null;
  if (value === null) return { ...head, valid: 'unknown', measured: `no ${c.metric.stat} for ${c.metric.variant}` };
  const insufficient = m?.summary.insufficient.includes(c.metric.stat as 'p50' | 'p95' | 'p99') ? ' (few samples)' : '';
  if ('maxMs' in c.metric) {
    return {
      ...head,
      valid: value <= c.metric.maxMs,
      measured: `${c.metric.stat.toUpperCase()} ${value.toFixed(4)} ms${insufficient}`,
    };
  }
  const otherName = c.metric.ratioTo;
  const other = measurements.find((x) => x.variant === otherName);
  const otherValue = other ? stat(other.summary, c.metric.stat) : null;
  if (!otherValue) return { ...head, valid: 'unknown', measured: `no ${c.metric.stat} for ${otherName}` };
  const ratio = value / otherValue;
  return {
    ...head,
    valid: ratio <= c.metric.max,
    measured: `${ratio.toFixed(2)}× (${value.toFixed(4)} vs ${otherValue.toFixed(4)} ms)`,
  };
}
