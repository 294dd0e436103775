import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { History } from '../history.js';
import { LatencyRecorder, type LatencySummary } from '../recorder.js';
import type { BenchMeasurement, BenchResult, CriterionResult } from '../result.js';
import type { BenchCriterion, ResolvedBenchmark } from '../schema.js';
import { PG_BENCH_SUBJECTS } from '../bench/subjects.js';
import { dropSchema, freshSchemaName } from '../postgres/pg-server.js';
import { SUBJECT_VARIABLE } from '../subject.js';
import { Supervisor } from '../workers/supervisor.js';
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

/** Runs each variant of a benchmark in its own fresh worker process, one after another, and judges the criteria. */
export async function runBenchmark(benchmark: ResolvedBenchmark, options: BenchRunOptions): Promise<BenchResult> {
  const started = performance.now();
  const needsServer = benchmark.variants.some((v) => PG_BENCH_SUBJECTS.has(v.subject));
  if (needsServer && !options.postgres) return notApplicable(benchmark, options.seed, NEEDS_SERVER);
  const runDir = mkdtempSync(join(tmpdir(), `agentos-bench-${benchmark.id}-`));
  const supervisor = new Supervisor();
  const history = new History();
  const measurements: BenchMeasurement[] = [];
  const reasons: string[] = [];
  try {
    for (const variant of benchmark.variants) {
      if (options.signal?.aborted) {
        reasons.push('interrupted');
        break;
      }
      options.onProgress?.(`timing ${variant.subject} (${variant.durability}) for ${benchmark.timeMs} ms`);
      let samples: number[] | undefined;
      // Each variant on a schema of its own, dropped below however the variant ends (a timed-out one is killed).
      const schema = options.postgres && PG_BENCH_SUBJECTS.has(variant.subject) ? freshSchemaName('bench') : undefined;
      const env =
        options.postgres && schema !== undefined
          ? { [SUBJECT_VARIABLE]: JSON.stringify({ name: 'agentos-postgres', pgUrl: options.postgres.url, schema }) }
          : {};
      const worker = supervisor.spawn({
        id: variant.name,
        group: variant.name,
        workload: 'bench',
        params: {
          subject: variant.subject,
          durability: variant.durability,
          timeMs: benchmark.timeMs,
          warmupMs: benchmark.warmupMs,
          iterations: benchmark.iterations,
        },
        dbPath: join(runDir, 'unused.db'),
        runDir,
        env,
        durability: variant.durability,
        onEvent: (w, event) => {
          history.append(w.id, event);
          if (event.kind === 'bench.samples') samples = event.samples;
        },
        onExit: () => undefined,
      });
      const exit = await Promise.race([
        worker.exited,
        new Promise<'timeout'>((resolve) => setTimeout(resolve, benchmark.timeoutMs, 'timeout').unref()),
      ]);
      if (exit === 'timeout') {
        reasons.push(`variant ${variant.name} timed out after ${benchmark.timeoutMs} ms`);
        // Stop it before the next variant is timed, so it does not steal the CPU.
        worker.signal('SIGKILL');
        await worker.exited;
      }
      if (schema !== undefined) {
        await dropSchema(schema, options.postgres?.url).catch((e: unknown) =>
          reasons.push(`could not drop schema ${schema}: ${e instanceof Error ? e.message : String(e)}`),
        );
      }
      const error = history.select('worker.error', { worker: variant.name })[0];
      if (error) reasons.push(`variant ${variant.name} failed: ${error.message.split('\n')[0]}`);
      if (!samples) {
        reasons.push(
          `variant ${variant.name} reported no samples${worker.stderr ? `: ${worker.stderr.trim().split('\n').at(-1)}` : ''}`,
        );
        continue;
      }
      measurements.push(measure(variant, samples));
    }
  } finally {
    await supervisor.reapAll();
    rmSync(runDir, { recursive: true, force: true });
  }
  const survivors = supervisor.survivors();
  if (survivors.length > 0) reasons.push(`child processes survived: ${survivors.join(', ')}`);
  const criteria = benchmark.criteria.map((c) => judge(c, measurements));
  persistHistory(benchmark.id, history, options.runsDir);
  return {
    id: benchmark.id,
    title: benchmark.title,
    category: 'bench' as const,
    measurements,
    seedTest: benchmark.seedTest,
    purpose: benchmark.purpose,
    procedure: benchmark.procedure,
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

function measure(variant: ResolvedBenchmark['variants'][number], samples: number[]): BenchMeasurement {
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
