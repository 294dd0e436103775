import { performance } from 'node:perf_hooks';
import type { LoadedScenario } from '../load.js';
import { resultKey, type BenchResult, type TestResult } from '../result.js';
import { runBenchmark } from './benchmark.js';
import { runScenario } from './scenario.js';
import { pgUrl } from '../postgres/pg-server.js';
import { runKey } from '../subject.js';
import { builtinSubject, type LoadedSubject } from '../load-subjects.js';

export interface RunDeclaredOptions {
  seed: number;
  /** A line of progress from inside a test ("fault sigkill: …"). */
  onProgress?: (id: string, message: string) => void;
  /** Called as each test starts and ends, for a live account in the terminal (`round` from the second round on). */
  onStart?: (declared: LoadedScenario, index: number, subject: string | undefined, round?: number) => void;
  onResult?: (result: TestResult, index: number) => void;
  /** Aborting (Ctrl-C) stops the test running now, reaps its processes and runs nothing more. */
  signal?: AbortSignal;
  /** The systems under test each scenario runs against, in order (default agentos-sqlite); benchmarks run once. */
  subjects?: readonly LoadedSubject[];
  /** The PostgreSQL server for PostgreSQL subjects (default: the PG* variables). */
  pgUrl?: string;
  /** Rounds of the benchmarks (default 1): after the selection has run, the benchmarks run again, n − 1 times. */
  benchRounds?: number;
}

export interface DeclaredRun {
  results: TestResult[];
  /** The benchmarks' results of rounds 2 to n (the results hold round 1). */
  moreBenchRounds: BenchResult[][];
  /** Selected tests (as "<id>@<subject>" off the default subject) that did not run because the run was interrupted. */
  missing: string[];
  durationMs: number;
  interrupted: boolean;
}

interface Planned {
  declared: LoadedScenario;
  subject: LoadedSubject | undefined;
  round: number;
}

/** Runs the selected declarations one at a time (each starts its own workers), in the order given, per subject. */
export async function runDeclared(
  selected: readonly LoadedScenario[],
  options: RunDeclaredOptions,
): Promise<DeclaredRun> {
  const started = performance.now();
  const subjects = options.subjects ?? [await builtinSubject()];
  const first = selected.flatMap((declared): Planned[] =>
    declared.category === 'bench'
      ? [{ declared, subject: undefined, round: 1 }]
      : subjects.map((subject) => ({ declared, subject, round: 1 })),
  );
  const benchmarks = selected.filter((d) => d.category === 'bench');
  const rounds = Array.from({ length: Math.max(0, (options.benchRounds ?? 1) - 1) }, (_, i) =>
    benchmarks.map((declared): Planned => ({ declared, subject: undefined, round: i + 2 })),
  );
  const planned = [...first, ...rounds.flat()];
  const results: TestResult[] = [];
  const moreBenchRounds: DeclaredRun['moreBenchRounds'] = [];
  for (const [index, { declared, subject, round }] of planned.entries()) {
    if (options.signal?.aborted) break;
    options.onStart?.(declared, index, subject?.definition.name, round > 1 ? round : undefined);
    const common = {
      seed: options.seed,
      onProgress: (m: string) => options.onProgress?.(declared.id, m),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const result =
      declared.category === 'bench'
        ? await runBenchmark(declared.benchmark, {
            ...common,
            ...(subjects.some((s) => s.definition.server === 'postgres')
              ? { postgres: { url: pgUrl(options.pgUrl) } }
              : {}),
          })
        : await runScenario(declared.scenario, {
            ...common,
            category: declared.category,
            ...(subject ? { subject } : {}),
            ...(options.pgUrl !== undefined ? { pgUrl: options.pgUrl } : {}),
          });
    if (options.signal?.aborted) break;
    if (round === 1) results.push(result);
    else if (result.category === 'bench') (moreBenchRounds[round - 2] ??= []).push(result);
    options.onResult?.(result, index);
  }
  const ran = new Set(results.map(resultKey));
  return {
    results,
    moreBenchRounds,
    missing: first.map((p) => runKey(p.declared.id, p.subject?.definition.name)).filter((key) => !ran.has(key)),
    durationMs: performance.now() - started,
    interrupted: options.signal?.aborted ?? false,
  };
}

/** How many runs a selection makes: one per benchmark, one per subject for every scenario and stress test. */
export function plannedRuns(selected: readonly LoadedScenario[], subjects: number): number {
  return selected.reduce((n, d) => n + (d.category === 'bench' ? 1 : subjects), 0);
}

/** How many more runs `benchRounds` rounds of the selection's benchmarks add to plannedRuns. */
export function moreRoundRuns(selected: readonly LoadedScenario[], benchRounds: number): number {
  return (benchRounds - 1) * selected.filter((d) => d.category === 'bench').length;
}
